"""Mail kept until delivered: one row per mail, with its attempts, next try and the mailing it belongs to."""

from peewee import CharField, DateTimeField, IntegerField, Model, TextField


def tables(db):
    class QueuedMail(Model):
        to = CharField()
        subject = TextField()
        text = TextField()
        html = TextField()
        attachments = TextField()
        mailing = CharField(index=True)
        recipient = IntegerField(null=True)
        status = CharField()
        attempts = IntegerField()
        next_attempt_at = DateTimeField()
        give_up_at = DateTimeField()
        leased_by = CharField()
        last_error = TextField()
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "queued_mail"
            indexes = ((("status", "next_attempt_at"), False),)

    return [QueuedMail]


def apply(db):
    db.create_tables(tables(db))
