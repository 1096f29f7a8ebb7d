"""Boat and papers: boat changes awaiting approval, and insurance reminders with their recipients.

Frozen like m0001: the three tables as they stood when this migration was written (m0070 adds
boat_change.changed, added to the model later).
"""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def tables(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Port(Base):
        pass

    class Customer(Base):
        pass

    class User(Base):
        pass

    class Boat(Base):
        pass

    class BoatChange(Base):
        boat = ForeignKeyField(Boat)
        customer = ForeignKeyField(Customer)
        requested_by = ForeignKeyField(User, null=True)
        name = CharField()
        registration = CharField()
        boat_type = CharField()
        length_cm = IntegerField()
        beam_cm = IntegerField()
        draught_cm = IntegerField()
        status = CharField(index=True)
        requested_at = DateTimeField()
        decided_at = DateTimeField(null=True)
        decided_by = ForeignKeyField(User, null=True, backref="+")
        refusal_reason = TextField()

    class InsuranceReminder(Base):
        port = ForeignKeyField(Port)
        created_by = ForeignKeyField(User, null=True)
        created_at = DateTimeField()
        mail_total = IntegerField()
        mail_sent = IntegerField()

    class InsuranceReminderMail(Base):
        reminder = ForeignKeyField(InsuranceReminder)
        customer = ForeignKeyField(Customer)
        email = CharField()
        language = CharField()
        sent_at = DateTimeField(null=True)

    return [BoatChange, InsuranceReminder, InsuranceReminderMail]


def apply(db):
    db.create_tables(tables(db))
