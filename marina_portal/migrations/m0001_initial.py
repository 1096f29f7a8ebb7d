"""The initial schema, frozen: the tables exactly as the models stood when this migration was written.

Its model classes are a snapshot, never today's `marina_portal.models`: a fresh install then runs the same
steps as an old database (this, then every later migration), so a model changed without its migration
shows up as a difference instead of being hidden by the first step. Python-side defaults are left out;
they do not reach the tables.
"""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def tables(db):
    """The 25 tables of the first schema, bound to `db`, in creation order."""

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Port(Base):
        name = CharField()
        code = CharField(unique=True)
        street = CharField()
        postcode = CharField()
        town = CharField()
        country = CharField()
        phone = CharField()
        email = CharField()
        hours = CharField()
        creditor_id = CharField()
        iban = CharField()
        bic = CharField()
        monetico_tpe = CharField()
        monetico_company = CharField()
        monetico_key = CharField()
        absence_credit_mode = CharField()
        absence_credit_value = IntegerField()
        waiting_list_confirm_on = DateField(null=True)

    class Customer(Base):
        port = ForeignKeyField(Port)
        code = CharField(null=True)
        last_name = CharField()
        first_name = CharField()
        street = CharField()
        postcode = CharField()
        town = CharField()
        country = CharField()
        email = CharField(null=True, index=True)
        phone = CharField()
        language = CharField()
        created_at = DateTimeField()

        class Meta:
            indexes = ((("port", "code"), True),)

    class User(Base):
        email = CharField(unique=True)
        password_hash = CharField()
        role = CharField()
        customer = ForeignKeyField(Customer, null=True, unique=True)
        session_version = IntegerField()
        is_enabled = BooleanField()
        language = CharField()
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)

    class UsedToken(Base):
        digest = CharField(unique=True)
        used_at = DateTimeField()

    class Boat(Base):
        customer = ForeignKeyField(Customer)
        code = CharField(null=True)
        name = CharField()
        registration = CharField()
        boat_type = CharField()
        length_cm = IntegerField()
        beam_cm = IntegerField()
        draught_cm = IntegerField()

    class Berth(Base):
        port = ForeignKeyField(Port)
        code = CharField()
        length_cm = IntegerField()
        width_cm = IntegerField()

        class Meta:
            indexes = ((("port", "code"), True),)

    class ContractTerms(Base):
        port = ForeignKeyField(Port)
        contract_type = CharField()
        version = IntegerField()
        body = TextField()
        created_at = DateTimeField()

        class Meta:
            indexes = ((("port", "contract_type", "version"), True),)

    class Contract(Base):
        port = ForeignKeyField(Port)
        customer = ForeignKeyField(Customer)
        boat = ForeignKeyField(Boat, null=True)
        berth = ForeignKeyField(Berth, null=True)
        terms = ForeignKeyField(ContractTerms, null=True)
        code = CharField(null=True)
        number = CharField()
        contract_type = CharField()
        starts_on = DateField()
        ends_on = DateField()
        price_cents = IntegerField()
        payment_terms = TextField()
        status = CharField()
        revision = IntegerField()
        signed_at = DateTimeField(null=True)
        signed_pdf = CharField(null=True)
        signed_pdf_sha256 = CharField(null=True)
        sent_at = DateTimeField(null=True)
        updated_at = DateTimeField()

        class Meta:
            indexes = ((("port", "number"), True),)

    class SignatureEvidence(Base):
        subject_type = CharField()
        subject_id = IntegerField()
        subject_revision = IntegerField()
        step = IntegerField()
        user = ForeignKeyField(User)
        customer = ForeignKeyField(Customer)
        at = DateTimeField()
        ip = CharField()
        user_agent = TextField()
        declaration = TextField()
        document_sha256 = CharField()

        class Meta:
            indexes = ((("subject_type", "subject_id"), False),)

    class PdfDownload(Base):
        subject_type = CharField()
        subject_id = IntegerField()
        subject_revision = IntegerField()
        user = ForeignKeyField(User)
        sha256 = CharField()
        at = DateTimeField()

    class Invoice(Base):
        port = ForeignKeyField(Port)
        customer = ForeignKeyField(Customer)
        contract = ForeignKeyField(Contract, null=True)
        code = CharField(null=True)
        number = CharField()
        issued_on = DateField()
        due_on = DateField(null=True)
        label = CharField()
        total_cents = IntegerField()
        collection_status = CharField()
        created_at = DateTimeField()

        class Meta:
            indexes = ((("port", "number"), True),)

    class InvoiceLine(Base):
        invoice = ForeignKeyField(Invoice, on_delete="CASCADE")
        position = IntegerField()
        description = CharField()
        quantity_milli = IntegerField()
        unit_price_cents = IntegerField()
        vat_rate_bp = IntegerField()
        total_ht_cents = IntegerField()
        total_vat_cents = IntegerField()

    class PaymentAttempt(Base):
        invoice = ForeignKeyField(Invoice)
        customer = ForeignKeyField(Customer)
        gateway = CharField()
        reference = CharField(unique=True)
        amount_cents = IntegerField()
        receipt_email = CharField()
        status = CharField()
        created_at = DateTimeField()
        notified_at = DateTimeField(null=True)

    class Payment(Base):
        invoice = ForeignKeyField(Invoice)
        method = CharField()
        amount_cents = IntegerField()
        received_on = DateField()
        reference = CharField()
        attempt = ForeignKeyField(PaymentAttempt, null=True, unique=True)
        code = CharField(null=True)
        recorded_by = ForeignKeyField(User, null=True)
        created_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)
        cancelled_by = ForeignKeyField(User, null=True, backref="+")
        cancel_reason = TextField()

    class PaymentNotification(Base):
        gateway = CharField()
        reference = CharField(index=True)
        received_at = DateTimeField()
        fields = TextField()
        seal_valid = BooleanField()
        outcome = CharField()

    class Mandate(Base):
        customer = ForeignKeyField(Customer)
        rum = CharField(unique=True, max_length=35)
        status = CharField()
        debtor_name = CharField()
        street = CharField()
        postcode = CharField()
        town = CharField()
        country = CharField()
        iban = CharField()
        bic = CharField()
        created_at = DateTimeField()
        signed_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        last_collection_on = DateField(null=True)
        signed_pdf = CharField(null=True)
        signed_pdf_sha256 = CharField(null=True)

    class DirectDebitBatch(Base):
        port = ForeignKeyField(Port)
        collection_date = DateField()
        message_format = CharField()
        created_at = DateTimeField()
        created_by = ForeignKeyField(User, null=True)
        message_id = CharField()

    class DirectDebit(Base):
        batch = ForeignKeyField(DirectDebitBatch)
        mandate = ForeignKeyField(Mandate)
        invoice = ForeignKeyField(Invoice)
        amount_cents = IntegerField()
        sequence_type = CharField()
        end_to_end_id = CharField()
        status = CharField()
        returned_at = DateTimeField(null=True)
        return_reason = CharField()
        prenotified_at = DateTimeField(null=True)

    class Document(Base):
        port = ForeignKeyField(Port)
        customer = ForeignKeyField(Customer, null=True)
        title = CharField()
        category = CharField()
        kind = CharField()
        valid_until = DateField(null=True)
        filename = CharField()
        content_type = CharField()
        size = IntegerField()
        sha256 = CharField()
        stored_as = CharField()
        uploaded_by = ForeignKeyField(User, null=True)
        created_at = DateTimeField()

    class Absence(Base):
        contract = ForeignKeyField(Contract)
        starts_on = DateField()
        ends_on = DateField()
        comment = TextField()
        created_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)

    class BerthLetting(Base):
        absence = ForeignKeyField(Absence)
        starts_on = DateField()
        ends_on = DateField()
        revenue_cents = IntegerField()
        credit_cents = IntegerField()
        recorded_by = ForeignKeyField(User, null=True)
        created_at = DateTimeField()

    class WaitingListApplication(Base):
        port = ForeignKeyField(Port)
        user = ForeignKeyField(User, null=True)
        last_name = CharField()
        first_name = CharField()
        email = CharField()
        boat_name = CharField()
        boat_type = CharField()
        length_cm = IntegerField()
        beam_cm = IntegerField()
        draught_cm = IntegerField()
        wanted_from = DateField(null=True)
        wanted_to = DateField(null=True)
        applied_at = DateTimeField()
        confirmed_at = DateTimeField(null=True)
        status = CharField()
        offered_berth = ForeignKeyField(Berth, null=True)
        offer_deadline = DateField(null=True)

    class NewsItem(Base):
        port = ForeignKeyField(Port)
        title = CharField()
        body = TextField()
        is_alert = BooleanField()
        published_at = DateTimeField()
        author = ForeignKeyField(User, null=True)
        mail_total = IntegerField()
        mail_sent = IntegerField()

    class OutboxMail(Base):
        to = CharField()
        subject = CharField()
        text = TextField()
        html = TextField()
        created_at = DateTimeField()

    class AuditLog(Base):
        at = DateTimeField()
        user = ForeignKeyField(User, null=True)
        action = CharField()
        object_type = CharField()
        object_id = IntegerField(null=True)
        before = TextField()
        after = TextField()
        ip = CharField()

    return [
        Port,
        Customer,
        User,
        UsedToken,
        Boat,
        Berth,
        ContractTerms,
        Contract,
        SignatureEvidence,
        PdfDownload,
        Invoice,
        InvoiceLine,
        PaymentAttempt,
        Payment,
        PaymentNotification,
        Mandate,
        DirectDebitBatch,
        DirectDebit,
        Document,
        Absence,
        BerthLetting,
        WaitingListApplication,
        NewsItem,
        OutboxMail,
        AuditLog,
    ]


def apply(db):
    db.create_tables(tables(db))
