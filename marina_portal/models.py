"""The data model for the whole portal: port, boaters, berths, contracts, money, SEPA, documents, audit.

Money is in integer cents, times are naive UTC datetimes, dates are calendar dates.
"""

import datetime as dt
import enum

from flask_login import UserMixin
from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    fn,
)

from marina_portal.core.db import Compiled, database
from marina_portal.core.formats import folded
from marina_portal.core.i18n import N_


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Vocabulary(enum.StrEnum):
    """The words a status column may hold. Each member equals the string stored (ContractStatus.SIGNED == "signed"),
    so code comparing with the literal keeps working; `label` is its French wording for the page."""

    def __new__(cls, value, label=""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def label_of(cls, value):
        """The French label of a stored value; the value itself when it is not (or no longer) one of ours."""
        try:
            return cls(value).label
        except ValueError:
            return value


class Port(BaseModel):
    name = CharField()
    code = CharField(unique=True)
    street = CharField(default="")
    postcode = CharField(default="")
    town = CharField(default="")
    country = CharField(default="FR")
    phone = CharField(default="")
    email = CharField(default="")
    hours = CharField(default="")
    creditor_id = CharField(default="")  # SEPA ICS
    iban = CharField(default="")  # the port's own account, creditor side of direct debits
    bic = CharField(default="")
    monetico_tpe = CharField(default="")  # empty: the MONETICO_* settings apply
    monetico_company = CharField(default="")
    monetico_key = CharField(default="")
    absence_credit_mode = CharField(default="percent")  # "percent" of visitor revenue or "per_night"
    absence_credit_value = IntegerField(default=0)  # percent, or cents per night
    waiting_list_confirm_on = DateField(null=True)
    # The seller's legal identity, printed on every invoice and credit note (see billing/legal.py).
    legal_name = CharField(default="")  # empty: the port's name
    legal_form = CharField(default="")  # "Régie municipale dotée de l'autonomie financière", "SAS", ...
    legal_status = CharField(default="public")  # public (a régie of a public body) or company
    siren = CharField(default="")
    siret = CharField(default="")
    vat_number = CharField(default="")  # intra-EU, e.g. FR44732829320
    share_capital = CharField(default="")  # companies: "37 000 €"
    rcs = CharField(default="")  # companies: "RCS Perpignan"
    vat_regime = CharField(default="receipts")  # receipts, debits, franchise, not_subject: billing/legal.py
    payment_days = IntegerField(default=30)  # due date: issue date + this many days
    payment_terms = CharField(default="")
    late_penalty = CharField(default="")  # empty: the legal default rate (billing/legal.py)
    ereporting_period = CharField(default="month", null=True)  # decade, month or two_months: einvoicing/ereporting.py

    @classmethod
    def current(cls):
        return _CURRENT_PORT.first()


_CURRENT_PORT = Compiled(Port, lambda: Port.select().order_by(Port.id).limit(1))  # every page's header


class Customer(BaseModel):
    port = ForeignKeyField(Port, backref="customers")
    code = CharField(null=True)  # the source system's customer code, for imports
    last_name = CharField()
    first_name = CharField(default="")
    street = CharField(default="")
    postcode = CharField(default="")
    town = CharField(default="")
    country = CharField(default="FR")
    email = CharField(null=True, index=True)  # the address on file at the harbour office
    phone = CharField(default="")
    language = CharField(default="fr")
    created_at = DateTimeField(default=utcnow)
    kind = CharField(default="individual")  # individual or business
    company_name = CharField(default="")  # businesses: printed as the buyer on invoices
    siren = CharField(default="")
    vat_number = CharField(default="")  # intra-EU
    billing_email = CharField(null=True)  # where invoices go, when not the address on file
    search_text = TextField(default="")  # names, email and code folded (no case, no accents): kept by save()

    class Meta:
        indexes = ((("port", "code"), True),)

    @property
    def full_name(self):
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def is_business(self):
        return self.kind == "business"

    @property
    def billing_name(self):
        """The buyer's name on an invoice: the company for a business, else the person."""
        return self.company_name if self.is_business and self.company_name else self.full_name

    def searchable(self):
        """What the harbour office may type to find this customer, folded: both name orders, email, code."""
        parts = (self.full_name, f"{self.first_name} {self.last_name}".strip(), self.email or "", self.code or "")
        return folded(" | ".join(parts))

    def save(self, *args, **kwargs):
        self.search_text = self.searchable()
        return super().save(*args, **kwargs)


class User(UserMixin, BaseModel):
    """A login: a boater (linked to a customer) or a harbour-office agent or admin."""

    email = CharField(unique=True)
    password_hash = CharField(default="")
    role = CharField(default="boater")  # boater, agent, admin
    customer = ForeignKeyField(Customer, null=True, unique=True, backref="users")
    session_version = IntegerField(default=1)  # bumped to log out every other session
    is_enabled = BooleanField(default=True)
    language = CharField(default="fr")
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    login_session_id = None  # the LoginSession the current cookie names (set at login and by the user loader)

    def get_id(self):
        return f"{self.id}:{self.session_version}:{self.login_session_id or 0}"

    @property
    def is_active(self):
        return self.is_enabled

    @property
    def is_staff(self):
        return self.role in ("agent", "admin")

    @property
    def is_admin(self):
        return self.role == "admin"


class UsedToken(BaseModel):
    """Digests of single-use links already followed."""

    digest = CharField(unique=True)
    used_at = DateTimeField(default=utcnow)


class Boat(BaseModel):
    customer = ForeignKeyField(Customer, backref="boats")
    code = CharField(null=True)
    name = CharField()
    registration = CharField(default="")
    boat_type = CharField(default="")
    length_cm = IntegerField(default=0)
    beam_cm = IntegerField(default=0)
    draught_cm = IntegerField(default=0)


class Berth(BaseModel):
    port = ForeignKeyField(Port, backref="berths")
    code = CharField()  # pontoon and number, e.g. "B-12"
    length_cm = IntegerField(default=0)
    width_cm = IntegerField(default=0)
    category = CharField(default="Ponton")  # the tariff grid's berth category

    class Meta:
        indexes = ((("port", "code"), True),)


class ContractTerms(BaseModel):
    """The versioned conditions text of one contract type."""

    port = ForeignKeyField(Port, backref="terms")
    contract_type = CharField()
    version = IntegerField()
    body = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("port", "contract_type", "version"), True),)

    @classmethod
    def latest(cls, port, contract_type):
        return (
            cls.select()
            .where((cls.port == port) & (cls.contract_type == contract_type))
            .order_by(cls.version.desc())
            .first()
        )


class PaymentSchedule(Vocabulary):
    """How an invoice is paid: at once, or in monthly instalments from its due date (billing/schedules.py)."""

    ONCE = "once", N_("En une fois")
    DEBIT_3 = "debit_3", N_("3 prélèvements mensuels")
    DEBIT_10 = "debit_10", N_("10 prélèvements mensuels")
    CARD_3 = "card_3", N_("3 paiements par carte")


class ContractStatus(Vocabulary):
    DRAFT = "draft", N_("En préparation")  # labels shown to the boater, translated where shown
    SENT = "sent", N_("À signer")
    SIGNED = "signed", N_("Signé")
    CANCELLED = "cancelled", N_("Annulé")


class Contract(BaseModel):
    port = ForeignKeyField(Port, backref="contracts")
    customer = ForeignKeyField(Customer, backref="contracts")
    boat = ForeignKeyField(Boat, null=True, backref="contracts")
    berth = ForeignKeyField(Berth, null=True, backref="contracts")
    terms = ForeignKeyField(ContractTerms, null=True)
    code = CharField(null=True)
    number = CharField()
    contract_type = CharField(default="Annuel")
    starts_on = DateField()
    ends_on = DateField()
    price_cents = IntegerField(default=0)
    payment_terms = TextField(default="")
    status = CharField(default=ContractStatus.DRAFT)
    revision = IntegerField(default=1)  # bumped on every change of its facts: signing restarts
    signed_at = DateTimeField(null=True)
    signed_pdf = CharField(null=True)  # path under DATA_DIR
    signed_pdf_sha256 = CharField(null=True)
    sent_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)
    payment_schedule = CharField(default=PaymentSchedule.ONCE)  # copied onto each invoice when it is issued

    class Meta:
        indexes = ((("port", "number"), True),)


class SignatureEvidence(BaseModel):
    """Append-only record of each explicit step a boater took to sign a contract or a mandate."""

    subject_type = CharField()  # contract, mandate
    subject_id = IntegerField()
    subject_revision = IntegerField(default=1)
    step = IntegerField()
    user = ForeignKeyField(User)
    customer = ForeignKeyField(Customer)
    at = DateTimeField(default=utcnow)
    ip = CharField(default="")
    user_agent = TextField(default="")
    declaration = TextField()
    document_sha256 = CharField(default="")

    class Meta:
        indexes = ((("subject_type", "subject_id"), False),)


class PdfDownload(BaseModel):
    """The exact bytes' digest of each contract or mandate PDF a boater downloaded."""

    subject_type = CharField()
    subject_id = IntegerField()
    subject_revision = IntegerField(default=1)
    user = ForeignKeyField(User)
    sha256 = CharField()
    at = DateTimeField(default=utcnow)


class CollectionStatus(Vocabulary):
    NONE = "", ""
    IN_PROGRESS = "in_progress", "prélèvement en cours"  # a direct debit of it is pending


ABSENCE_CREDIT = "absence_credit"  # the Payment.method of an absence credit deducted from an invoice


class InvoiceStatus(Vocabulary):
    DRAFT = "draft", "brouillon"  # an issued invoice never changes; a draft has no number yet
    ISSUED = "issued", "émise"


class Invoice(BaseModel):
    port = ForeignKeyField(Port, backref="invoices")
    customer = ForeignKeyField(Customer, backref="invoices")
    contract = ForeignKeyField(Contract, null=True, backref="invoices")
    code = CharField(null=True)
    number = CharField(default="")  # "" while a draft: issuing gives the next number of its series
    issued_on = DateField()
    due_on = DateField(null=True)
    label = CharField(default="")
    total_cents = IntegerField()  # TTC, equal to the sum of its lines when it has lines
    collection_status = CharField(default=CollectionStatus.NONE)
    created_at = DateTimeField(default=utcnow)
    status = CharField(default=InvoiceStatus.ISSUED, index=True)
    series = CharField(default="")  # the portal's numbering series ("2027"); "" for numbers from elsewhere
    issued_at = DateTimeField(null=True)  # when the portal issued it
    service_from = DateField(null=True)  # the service's date, or its period
    service_to = DateField(null=True)
    payment_schedule = CharField(default=PaymentSchedule.ONCE)  # its contract's, as it stood when issued

    @property
    def is_draft(self):
        return self.status == InvoiceStatus.DRAFT

    @classmethod
    def with_paid(cls):
        """Invoices annotated with `paid_cents` (payments not cancelled), in one query.

        A correlated subquery: it sums only the payments of the rows selected, through the
        payment's invoice index, so the cost follows the page's invoices, not the whole ledger.
        """
        PaymentAlias = Payment.alias()
        paid = PaymentAlias.select(fn.COALESCE(fn.SUM(PaymentAlias.amount_cents), 0)).where(
            (PaymentAlias.invoice == cls.id) & PaymentAlias.cancelled_at.is_null()
        )
        return cls.select(cls, paid.alias("paid_cents"))

    @classmethod
    def absence_credit_column(cls):
        """A correlated subquery giving each selected invoice's deducted absence credit, to add to a select."""
        PaymentAlias = Payment.alias()
        return PaymentAlias.select(fn.COALESCE(fn.SUM(PaymentAlias.amount_cents), 0)).where(
            (PaymentAlias.invoice == cls.id)
            & (PaymentAlias.method == ABSENCE_CREDIT)
            & PaymentAlias.cancelled_at.is_null()
        )

    @property
    def balance_cents(self):
        return self.total_cents - getattr(self, "paid_cents", 0)


class InvoiceLine(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    position = IntegerField(default=0)
    description = CharField()
    quantity_milli = IntegerField(default=1000)  # thousandths, for nights or metres
    unit_price_cents = IntegerField()  # HT, rounded to the cent; unit_price_e4 is the exact price
    vat_rate_bp = IntegerField(default=2000)  # basis points: 2000 = 20 %
    total_ht_cents = IntegerField()
    total_vat_cents = IntegerField()
    unit_price_e4 = IntegerField(null=True)  # HT in 1/10000 € (0,2316 €/kWh = 2316); null on older rows
    unit = CharField(default="")  # "nuit", "kWh", ...

    @property
    def price_e4(self):
        return self.unit_price_cents * 100 if self.unit_price_e4 is None else self.unit_price_e4


class AttemptStatus(Vocabulary):
    PENDING = "pending", "en attente"
    PAID = "paid", "payé"
    REFUSED = "refused", "refusé"
    MISMATCH = "mismatch", "écart de montant"


class PaymentAttempt(BaseModel):
    """One try at paying one invoice online; only the bank's notification moves its status."""

    invoice = ForeignKeyField(Invoice, backref="attempts")
    customer = ForeignKeyField(Customer)
    gateway = CharField(default="monetico")
    reference = CharField(unique=True)
    amount_cents = IntegerField()
    receipt_email = CharField(default="")
    status = CharField(default=AttemptStatus.PENDING)
    created_at = DateTimeField(default=utcnow)
    notified_at = DateTimeField(null=True)


class Payment(BaseModel):
    """Money received for an invoice. Never deleted: a mistake is cancelled with a reason."""

    invoice = ForeignKeyField(Invoice, backref="payments")
    method = CharField()  # cheque, transfer, cash, card, direct_debit, credit
    amount_cents = IntegerField()
    received_on = DateField()
    reference = CharField(default="")
    attempt = ForeignKeyField(PaymentAttempt, null=True, unique=True)
    code = CharField(null=True)
    recorded_by = ForeignKeyField(User, null=True)
    created_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)
    cancelled_by = ForeignKeyField(User, null=True)
    cancel_reason = TextField(default="")


class PaymentNotification(BaseModel):
    """Every call the bank made to the notification URL, kept as received."""

    gateway = CharField()
    reference = CharField(default="", index=True)
    received_at = DateTimeField(default=utcnow)
    fields = TextField()  # JSON
    seal_valid = BooleanField()
    outcome = CharField(default="")  # recorded, duplicate, refused, mismatch, unknown, bad-seal, test-ignored


class MandateStatus(Vocabulary):
    DRAFT = "draft", "brouillon"
    ACTIVE = "active", "actif"
    REVOKED = "revoked", "révoqué"
    LAPSED = "lapsed", "caduc"  # no collection for 36 months
    SUSPENDED = "suspended", "suspendu (rejet de la banque)"  # after a return that ends the mandate (AC04, MD01…)


class Mandate(BaseModel):
    customer = ForeignKeyField(Customer, backref="mandates")
    rum = CharField(unique=True, max_length=35)
    status = CharField(default=MandateStatus.DRAFT)  # draft, active, revoked, lapsed, suspended (after a bank return)
    debtor_name = CharField(default="")
    street = CharField(default="")
    postcode = CharField(default="")
    town = CharField(default="")
    country = CharField(default="FR")
    iban = CharField(default="")
    bic = CharField(default="")
    created_at = DateTimeField(default=utcnow)
    signed_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    last_collection_on = DateField(null=True)
    signed_pdf = CharField(null=True)
    signed_pdf_sha256 = CharField(null=True)
    # What the mandate was signed under (never changed), and what the bank was last told for it: a later
    # collection carries amendment information (AmdmntInd) when the port's ICS or name or the account differ.
    signed_place = CharField(default="")
    signed_creditor_id = CharField(default="")
    signed_creditor_name = CharField(default="")
    signed_iban = CharField(default="")
    signed_bic = CharField(default="")
    told_creditor_id = CharField(default="")
    told_creditor_name = CharField(default="")
    told_iban = CharField(default="")
    told_bic = CharField(default="")


class DirectDebitBatch(BaseModel):
    port = ForeignKeyField(Port)
    collection_date = DateField()
    message_format = CharField(default="pain.008.001.02")
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True)
    message_id = CharField(default="")
    stored_as = CharField(null=True)  # the exported pain.008 file, path under DATA_DIR
    sha256 = CharField(null=True)


class DebitStatus(Vocabulary):
    PENDING = "pending", "en cours"
    COLLECTED = "collected", "encaissé"
    RETURNED = "returned", "rejeté"


class DirectDebit(BaseModel):
    batch = ForeignKeyField(DirectDebitBatch, backref="debits")
    mandate = ForeignKeyField(Mandate, backref="debits")
    invoice = ForeignKeyField(Invoice, backref="debits")
    amount_cents = IntegerField()
    sequence_type = CharField()  # FRST, RCUR
    end_to_end_id = CharField(default="")
    status = CharField(default=DebitStatus.PENDING)
    returned_at = DateTimeField(null=True)
    return_reason = CharField(default="")
    prenotified_at = DateTimeField(null=True)
    amendment = TextField(default="")  # JSON: what the bank had been told before this debit's amendment


class Document(BaseModel):
    """A file in ESPACE DE TELECHARGEMENT (customer null: for all boaters) or a boater's own paper."""

    port = ForeignKeyField(Port)
    customer = ForeignKeyField(Customer, null=True, backref="documents")
    title = CharField()
    category = CharField(default="")
    kind = CharField(default="published")  # published, insurance, registration
    valid_until = DateField(null=True)
    filename = CharField()  # the server-chosen download name
    content_type = CharField()
    size = IntegerField()
    sha256 = CharField()
    stored_as = CharField()  # path under DATA_DIR
    uploaded_by = ForeignKeyField(User, null=True)
    created_at = DateTimeField(default=utcnow)


class Absence(BaseModel):
    contract = ForeignKeyField(Contract, backref="absences")
    starts_on = DateField()
    ends_on = DateField()
    comment = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)


class BerthLetting(BaseModel):
    """A visitor on a berth freed by an absence, and what the port earned from it."""

    absence = ForeignKeyField(Absence, backref="lettings")
    starts_on = DateField()
    ends_on = DateField()
    revenue_cents = IntegerField()
    credit_cents = IntegerField(default=0)
    recorded_by = ForeignKeyField(User, null=True)
    created_at = DateTimeField(default=utcnow)


class ApplicationStatus(Vocabulary):
    PENDING = "pending", "adresse à confirmer"
    ACTIVE = "active", "sur la liste"
    OFFERED = "offered", "place proposée"
    ACCEPTED = "accepted", "place acceptée"
    LAPSED = "lapsed", "retirée faute de confirmation annuelle"
    WITHDRAWN = "withdrawn", "retirée"


class WaitingListApplication(BaseModel):
    port = ForeignKeyField(Port)
    user = ForeignKeyField(User, null=True)
    last_name = CharField()
    first_name = CharField(default="")
    email = CharField()
    boat_name = CharField(default="")
    boat_type = CharField(default="")
    length_cm = IntegerField(default=0)
    beam_cm = IntegerField(default=0)
    draught_cm = IntegerField(default=0)
    wanted_from = DateField(null=True)
    wanted_to = DateField(null=True)
    applied_at = DateTimeField(default=utcnow)
    confirmed_at = DateTimeField(null=True)
    status = CharField(default=ApplicationStatus.PENDING)
    offered_berth = ForeignKeyField(Berth, null=True)
    offer_deadline = DateField(null=True)
    reminded_at = DateTimeField(null=True)  # last yearly confirmation reminder mailed


class NewsItem(BaseModel):
    port = ForeignKeyField(Port)
    title = CharField()
    body = TextField()
    is_alert = BooleanField(default=False)
    alert_for_all = BooleanField(default=False)  # an alert reaches berth holders only unless this is ticked
    published_at = DateTimeField(default=utcnow)
    author = ForeignKeyField(User, null=True)
    mail_total = IntegerField(default=0)
    mail_sent = IntegerField(default=0)


class OutboxMail(BaseModel):
    """Mails kept instead of sent, in development (MAIL_OUTBOX)."""

    to = CharField()
    subject = CharField()
    text = TextField()
    html = TextField(default="")
    created_at = DateTimeField(default=utcnow)


class AuditLog(BaseModel):
    """Append-only: who changed what, when, with the values before and after (JSON)."""

    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True)
    action = CharField()
    object_type = CharField()
    object_id = IntegerField(null=True)
    before = TextField(default="")
    after = TextField(default="")
    ip = CharField(default="")


ALL_MODELS = [
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


# Boat and papers ----------------------------------------------------------------------------------


class BoatChangeStatus(Vocabulary):
    PENDING = "pending", "en attente"
    APPROVED = "approved", "acceptée"
    REFUSED = "refused", "refusée"
    REPLACED = "replaced", "remplacée par une demande plus récente"
    WITHDRAWN = "withdrawn", "retirée"


class BoatChange(BaseModel):
    """A boater's proposed boat facts, applied to the Boat only once the harbour office approves them."""

    boat = ForeignKeyField(Boat, backref="changes")
    customer = ForeignKeyField(Customer, backref="boat_changes")
    requested_by = ForeignKeyField(User, null=True)
    name = CharField()
    registration = CharField(default="")
    boat_type = CharField(default="")
    length_cm = IntegerField(default=0)
    beam_cm = IntegerField(default=0)
    draught_cm = IntegerField(default=0)
    changed = CharField(default="")  # the facts the boater changed, comma-separated: only these are applied
    status = CharField(default=BoatChangeStatus.PENDING, index=True)
    requested_at = DateTimeField(default=utcnow)
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True)
    refusal_reason = TextField(default="")

    @property
    def changed_fields(self):
        return [name for name in self.changed.split(",") if name]


class InsuranceReminder(BaseModel):
    """One "send a reminder to all" click: its recipients are fixed then, mailed in background batches."""

    port = ForeignKeyField(Port)
    created_by = ForeignKeyField(User, null=True)
    created_at = DateTimeField(default=utcnow)
    mail_total = IntegerField(default=0)
    mail_sent = IntegerField(default=0)


class InsuranceReminderMail(BaseModel):
    """One recipient of a reminder; `sent_at` is set as the mail leaves, so a retry skips it."""

    reminder = ForeignKeyField(InsuranceReminder, backref="mails")
    customer = ForeignKeyField(Customer)
    email = CharField()
    language = CharField(default="fr")
    sent_at = DateTimeField(null=True)


ALL_MODELS += [BoatChange, InsuranceReminder, InsuranceReminderMail]


# --- Trust: server-side login sessions, opaque mailed links, per-staff calendar keys ---


class LoginSession(BaseModel):
    """One login on one browser. The cookie names it; logout or a timeout ends it here, on the server,
    so a cookie copied before cannot be replayed."""

    user = ForeignKeyField(User, backref="login_sessions", on_delete="CASCADE")
    remember = BooleanField(default=False)  # « Rester connecté » ticked (boaters only)
    started_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)


ALL_MODELS += [LoginSession]


# Billing year: numbering series and credit notes --------------------------------------------------

# Issued numbers are unique in a port; drafts ("") are many.
Invoice.add_index(
    Invoice.index(Invoice.port, Invoice.number, unique=True, where=SQL("number <> ''"), name="invoice_issued_number")
)


class NumberSeries(BaseModel):
    """The last number given in one series of a port ("2027" for invoices, "AV2027" for credit notes).

    Its row is locked while a number is given (billing/numbering.py), so numbers follow without gaps."""

    port = ForeignKeyField(Port)
    name = CharField()
    last_number = IntegerField(default=0)

    class Meta:
        indexes = ((("port", "name"), True),)


class CreditNote(BaseModel):
    """An avoir: the only correction of an issued invoice, whole or in part; issued (numbered) when created.

    Its amount settles the invoice through `payment` (method "credit"): a balance below zero is then a refund due."""

    port = ForeignKeyField(Port, backref="credit_notes")
    customer = ForeignKeyField(Customer, backref="credit_notes")
    invoice = ForeignKeyField(Invoice, backref="credit_notes")
    number = CharField()
    series = CharField(default="")
    issued_on = DateField()
    issued_at = DateTimeField(default=utcnow)
    reason = TextField(default="")
    total_cents = IntegerField()  # TTC credited, positive
    payment = ForeignKeyField(Payment, null=True, unique=True)
    created_by = ForeignKeyField(User, null=True)

    class Meta:
        indexes = ((("port", "number"), True),)


class CreditNoteLine(BaseModel):
    credit_note = ForeignKeyField(CreditNote, backref="lines", on_delete="CASCADE")
    invoice_line = ForeignKeyField(InvoiceLine, null=True)  # the line credited, when by line
    position = IntegerField(default=0)
    description = CharField()
    quantity_milli = IntegerField(default=1000)
    unit_price_e4 = IntegerField()  # HT in 1/10000 €
    vat_rate_bp = IntegerField(default=2000)
    total_ht_cents = IntegerField()
    total_vat_cents = IntegerField()
    unit = CharField(default="")

    @property
    def price_e4(self):
        return self.unit_price_e4


ALL_MODELS += [NumberSeries, CreditNote, CreditNoteLine]


# Tariffs, follow-up, receipts, accounting, yearly run ---------------------------------------------


class Tariff(BaseModel):
    """One season's tariff grid; the public page, the renewal and the yearly run read it once published."""

    port = ForeignKeyField(Port, backref="tariffs")
    year = IntegerField()
    published_at = DateTimeField(null=True)
    document = ForeignKeyField(Document, null=True)  # its PDF in ESPACE DE TELECHARGEMENT
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("port", "year"), True),)


class TariffRate(BaseModel):
    """One cell of a grid: a berth category, a period, a length band (lower bound excluded), a price HT."""

    tariff = ForeignKeyField(Tariff, backref="rates", on_delete="CASCADE")
    category = CharField()
    period = CharField(default="annual")  # annual, half_year, month, week, night
    length_from_cm = IntegerField(default=0)
    length_to_cm = IntegerField()
    basis = CharField(default="flat")  # flat: the band's price; area: price per m² of length × beam
    price_ht_cents = IntegerField()
    vat_rate_bp = IntegerField(default=2000)


class ReminderStep(BaseModel):
    """The port's follow-up schedule: a reminder (or the formal notice) so many days after the due date."""

    port = ForeignKeyField(Port, backref="reminder_steps")
    days_after_due = IntegerField()
    kind = CharField(default="reminder")  # reminder, formal_notice

    class Meta:
        indexes = ((("port", "days_after_due"), True),)


class InvoiceReminder(BaseModel):
    """A reminder mailed (or due but undeliverable) for one invoice at one step: kept on its history."""

    invoice = ForeignKeyField(Invoice, backref="reminders")
    step = ForeignKeyField(ReminderStep, null=True, on_delete="SET NULL")
    days_after_due = IntegerField()
    kind = CharField()
    email = CharField(default="")  # empty: no address on file, to send by post
    balance_cents = IntegerField()
    sent_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("invoice", "days_after_due"), True),)


class InvoiceDispute(BaseModel):
    """The boater contests the invoice: reminders stop until staff close the dispute."""

    invoice = ForeignKeyField(Invoice, backref="disputes")
    reason = TextField(default="")
    opened_at = DateTimeField(default=utcnow)
    opened_by = ForeignKeyField(User, null=True)
    closed_at = DateTimeField(null=True)
    closed_by = ForeignKeyField(User, null=True)


class ChequeDeposit(BaseModel):
    """A bordereau de remise: the cheques taken to the port's bank together."""

    port = ForeignKeyField(Port)
    deposited_on = DateField()
    total_cents = IntegerField(default=0)
    created_by = ForeignKeyField(User, null=True)
    created_at = DateTimeField(default=utcnow)


class ChequeDepositItem(BaseModel):
    deposit = ForeignKeyField(ChequeDeposit, backref="items")
    payment = ForeignKeyField(Payment, unique=True)  # a cheque is deposited once


class LedgerAccount(BaseModel):
    """The port's chart of accounts for the FEC: one account number per purpose (and key)."""

    port = ForeignKeyField(Port)
    purpose = CharField()  # sales, vat, customers, bank, cheques, cash, credits
    key = CharField(default="")  # the berth category for sales, the VAT rate in basis points for vat
    number = CharField()
    label = CharField()

    class Meta:
        indexes = ((("port", "purpose", "key"), True),)


class BillingRunStatus(Vocabulary):
    RUNNING = "running", "en cours"
    DONE = "done", "terminé"
    FAILED = "failed", "interrompu"  # started again, it issues nothing twice


class BillingRun(BaseModel):
    """One yearly renewal or invoicing run, with its progress for the bar."""

    port = ForeignKeyField(Port)
    year = IntegerField()
    kind = CharField()  # renewal, invoicing
    status = CharField(default=BillingRunStatus.RUNNING)
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    created_by = ForeignKeyField(User, null=True)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)


class ContractRenewal(BaseModel):
    """A contract and the next year's draft made from it; unique, so a second renewal makes nothing."""

    contract = ForeignKeyField(Contract, unique=True, backref="renewal")
    renewal = ForeignKeyField(Contract, unique=True)
    run = ForeignKeyField(BillingRun, null=True)


class YearlyInvoice(BaseModel):
    """The yearly run's invoice of one contract; unique, so a second run issues nothing more."""

    contract = ForeignKeyField(Contract, unique=True)
    invoice = ForeignKeyField(Invoice, unique=True)
    run = ForeignKeyField(BillingRun, null=True)
    mailed_at = DateTimeField(null=True)


ALL_MODELS += [
    Tariff,
    TariffRate,
    ReminderStep,
    InvoiceReminder,
    InvoiceDispute,
    ChequeDeposit,
    ChequeDepositItem,
    LedgerAccount,
    BillingRun,
    ContractRenewal,
    YearlyInvoice,
]


# Mail kept until delivered ----------------------------------------------------------------------


class MailStatus(Vocabulary):
    PENDING = "pending", "en attente"
    SENT = "sent", "envoyé"
    FAILED = "failed", "abandonné"  # given up after a day of tries: staff may resend it


class QueuedMail(BaseModel):
    """One mail to send, kept until the SMTP server accepted it: retried with backoff, shown to staff if it can't go.

    `mailing` names the mailing it belongs to ("news:12"; "" for a single mail) and `recipient` the feature's
    own id for this recipient; `leased_by` is the process sending it now, until `next_attempt_at`."""

    to = CharField()
    subject = TextField()
    text = TextField()
    html = TextField(default="")
    attachments = TextField(default="")  # JSON [[file name, content type, stored path under DATA_DIR], ...]
    mailing = CharField(default="", index=True)
    recipient = IntegerField(null=True)
    status = CharField(default=MailStatus.PENDING)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    give_up_at = DateTimeField()
    leased_by = CharField(default="")
    last_error = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


ALL_MODELS += [QueuedMail]


class MailedLink(BaseModel):
    """What a mailed link is for, kept here: the link itself carries only a random key (signed and dated),
    so that nobody reading the mail or a proxy's log learns an email address or an id from it."""

    key_digest = CharField(unique=True)  # SHA-256 of the random key
    purpose = CharField()
    payload = TextField()  # JSON
    created_at = DateTimeField(default=utcnow)


class CalendarKey(BaseModel):
    """A staff member's own key to the berth calendar feed (for a calendar program that cannot log in):
    renewed to revoke it, refused once its owner is switched off."""

    user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
    key = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)


ALL_MODELS += [MailedLink, CalendarKey]


# E-invoicing: hand-off to the platform or Chorus Pro, status history, suppliers' invoices received ------------


class PublicBuyer(BaseModel):
    """A public-sector customer invoiced through Chorus Pro: its SIRET, service code and engagement number."""

    customer = ForeignKeyField(Customer, unique=True, backref="public_buyer")
    siret = CharField()
    service_code = CharField(default="")
    engagement = CharField(default="")  # the buyer's purchase order (numéro d'engagement), when it gives one


class EinvoiceStatus(Vocabulary):
    """A submission's lifecycle, in the words the platforms' acknowledgements use; only forward (einvoicing/sending)."""

    DEPOSITED = "deposee", "Déposée"
    RECEIVED = "recue", "Reçue"
    REJECTED = "rejetee", "Rejetée"
    COLLECTED = "encaissee", "Encaissée"


class EinvoiceSubmission(BaseModel):
    """One issued invoice or credit note handed to an e-invoicing channel, with its lifecycle status."""

    port = ForeignKeyField(Port)
    invoice = ForeignKeyField(Invoice, null=True, unique=True, backref="einvoice")
    credit_note = ForeignKeyField(CreditNote, null=True, unique=True, backref="einvoice")
    channel = CharField()  # file-drop, chorus-pro
    file_name = CharField(unique=True)  # the name of the file deposited: the acknowledgement refers to it
    status = CharField(default=EinvoiceStatus.DEPOSITED, index=True)
    reason = TextField(default="")  # a rejection's reason, as the platform gives it
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True)


class EinvoiceEvent(BaseModel):
    """One change of a submission's status: when, what the platform said."""

    submission = ForeignKeyField(EinvoiceSubmission, backref="events", on_delete="CASCADE")
    status = CharField()
    reason = TextField(default="")
    at = DateTimeField(default=utcnow)
    source = CharField(default="")  # the acknowledgement file read, or "portail"


class IncomingInvoice(BaseModel):
    """A supplier's invoice received through the channel: its PDF kept as is, what its Factur-X XML says."""

    port = ForeignKeyField(Port)
    file_name = CharField()
    path = CharField()  # under DATA_DIR (core/storage.py)
    sha256 = CharField(index=True)
    received_at = DateTimeField(default=utcnow)
    seller = CharField(default="")
    seller_siren = CharField(default="")
    number = CharField(default="")
    issued_on = DateField(null=True)
    total_cents = IntegerField(null=True)  # TTC (GrandTotalAmount)
    currency = CharField(default="EUR")
    problem = CharField(default="")  # why it could not be read, in French

    class Meta:
        indexes = ((("port", "sha256"), True),)


ALL_MODELS += [PublicBuyer, EinvoiceSubmission, EinvoiceEvent, IncomingInvoice]


# Energy and visitors: meters, readings, consumption and its disputes; visitors paying on arrival ---------


class Meter(BaseModel):
    """An electricity or water meter on a berth's pedestal. A swapped meter is closed (`removed_on`, its last
    reading the closing index) and the new one names it in `replaces`, its first reading the opening index."""

    port = ForeignKeyField(Port, backref="meters")
    berth = ForeignKeyField(Berth, null=True, backref="meters")
    pedestal = CharField(default="")  # the borne it sits in, e.g. "B-10/12"
    number = CharField()  # as printed on it and in the pedestal system's export
    kind = CharField()  # electricity, water (energy/meters.py KINDS)
    unit = CharField()  # kWh, m³
    amperage = IntegerField(default=0)  # an electricity socket's rating, for an amperage lump sum
    installed_on = DateField()
    removed_on = DateField(null=True)
    replaces = ForeignKeyField("self", null=True, backref="successors")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("port", "number"), True),)


class MeterReading(BaseModel):
    """One index read on a meter, in thousandths of its unit; kept even when the office corrects it."""

    meter = ForeignKeyField(Meter, backref="readings")
    read_at = DateTimeField()  # UTC
    index_milli = IntegerField()
    role = CharField(default="reading")  # reading, opening (meter installed), closing (meter removed)
    source = CharField(default="staff")  # staff, import, office (a correction answering a dispute)
    photo = CharField(null=True)  # path under DATA_DIR
    photo_type = CharField(default="")
    external_id = CharField(null=True)  # the pedestal system's own id of the reading, for a second import
    taken_by = ForeignKeyField(User, null=True)
    replaced_by = ForeignKeyField("self", null=True)  # the office's corrected reading
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("meter", "read_at"), False), (("meter", "external_id"), True))


class ConsumptionStatus(Vocabulary):
    OPEN = "open", "à facturer"
    DISPUTED = "disputed", "contestée"  # frozen until the office answers
    INVOICED = "invoiced", "facturée"  # on its `invoice_line`
    REPLACED = "replaced", "remplacée"  # superseded by a corrected reading
    INCLUDED = "included", "comprise dans le forfait"  # covered by a lump sum


class Consumption(BaseModel):
    """What a meter counted between two readings, charged to the berth's holder at the second one.

    open: to invoice; disputed: frozen until the office answers; invoiced: on `invoice_line`;
    replaced: superseded by a corrected reading; included: covered by a lump sum."""

    meter = ForeignKeyField(Meter, backref="consumptions")
    customer = ForeignKeyField(Customer, null=True, backref="consumptions")
    contract = ForeignKeyField(Contract, null=True)
    start_reading = ForeignKeyField(MeterReading)
    end_reading = ForeignKeyField(MeterReading)
    quantity_milli = IntegerField()
    status = CharField(default=ConsumptionStatus.OPEN, index=True)
    invoice_line = ForeignKeyField(InvoiceLine, null=True)
    created_at = DateTimeField(default=utcnow)


class ConsumptionDispute(BaseModel):
    """« Contester »: the boater's reason, then the office's answer (a new reading or an explanation)."""

    consumption = ForeignKeyField(Consumption, backref="disputes")
    reason = TextField()
    opened_by = ForeignKeyField(User, null=True)
    opened_at = DateTimeField(default=utcnow)
    answer = CharField(default="")  # "", reading, explanation
    answer_text = TextField(default="")
    new_reading = ForeignKeyField(MeterReading, null=True)
    answered_by = ForeignKeyField(User, null=True)
    answered_at = DateTimeField(null=True)


class EnergyRate(BaseModel):
    """A season's energy price: per kWh or m³ (`metered`, four decimals), or a lump sum for the season per
    socket amperage (`lump`). Prices HT in 1/10000 €."""

    tariff = ForeignKeyField(Tariff, backref="energy_rates", on_delete="CASCADE")
    kind = CharField()  # electricity, water
    basis = CharField(default="metered")  # metered, lump
    amperage = IntegerField(default=0)  # lump: the socket rating it covers
    price_e4 = IntegerField()
    vat_rate_bp = IntegerField(default=2000)


class EnergyLump(BaseModel):
    """A season's lump sum charged once for one contract and kind of energy."""

    contract = ForeignKeyField(Contract)
    kind = CharField()
    year = IntegerField()
    invoice_line = ForeignKeyField(InvoiceLine, null=True)

    class Meta:
        indexes = ((("contract", "kind", "year"), True),)


class VisitorDesk(BaseModel):
    """What the office sets for visitors paying on arrival: the gate and sanitary code their receipt gives."""

    port = ForeignKeyField(Port, unique=True)
    gate_code = CharField(default="")
    updated_at = DateTimeField(default=utcnow)


class VisitorStayStatus(Vocabulary):
    HELD = "held", "en paiement"  # the berth is held while the visitor pays
    PAID = "paid", "payée"
    EXPIRED = "expired", "abandonnée"
    CONFLICT = "conflict", "payée trop tard : à rembourser"  # paid after the berth was taken back


class VisitorStay(BaseModel):
    """A visitor who scanned a berth's code: held while they pay at the bank, then paid (or expired)."""

    port = ForeignKeyField(Port)
    berth = ForeignKeyField(Berth, backref="visitor_stays")
    boat_name = CharField()
    length_cm = IntegerField()
    visitor_name = CharField()
    email = CharField()
    arrives_on = DateField()
    leaves_on = DateField()
    total_cents = IntegerField()  # TTC
    status = CharField(default=VisitorStayStatus.HELD, index=True)
    held_until = DateTimeField()
    customer = ForeignKeyField(Customer, null=True)
    invoice = ForeignKeyField(Invoice, null=True)
    created_at = DateTimeField(default=utcnow)
    paid_at = DateTimeField(null=True)


class VisitorNight(BaseModel):
    """One night of a stay on one berth: unique, so two visitors never hold the same berth and night."""

    stay = ForeignKeyField(VisitorStay, backref="nights", on_delete="CASCADE")
    berth = ForeignKeyField(Berth)
    night = DateField()
    price_cents = IntegerField()  # TTC
    absence = ForeignKeyField(Absence, null=True)  # the holder's absence that freed the berth that night
    letting = ForeignKeyField(BerthLetting, null=True)
    credit_cents = IntegerField(default=0)  # what the night earned the holder

    class Meta:
        indexes = ((("berth", "night"), True),)


ALL_MODELS += [
    Meter,
    MeterReading,
    Consumption,
    ConsumptionDispute,
    EnergyRate,
    EnergyLump,
    VisitorDesk,
    VisitorStay,
    VisitorNight,
]
