"""A boater's papers (yearly insurance certificate, registration), who lacks a valid insurance, and reminders.

Papers are Documents of kind "insurance" or "registration" owned by one customer, checked by content
like every upload (backoffice.uploads). A boater may remove a paper they sent themselves within
REMOVABLE_FOR (24 hours) of sending it, a mistake noticed at once; later it stays (the harbour office
may have relied on it; the boater asks them). The removal is audited (customer.paper_removed, in the
customer's history, with the file's sha256) and the file is deleted. An insurance counts as valid through
its `valid_until` day.
A customer "holds a contract this year" when one of their contracts (not cancelled) overlaps the
current calendar year. Reminders go out in the background, BATCH_SIZE mails per Huey task: the
recipients are fixed when staff click (one InsuranceReminderMail row each, and its mail kept by core.mail
in the mailing "insurance_reminder:<id>"); each mail is marked sent as it leaves, so a consumer killed or
restarted resumes with those not mailed yet, and the reminder's counts are recounted from those marks.
"""

import datetime as dt
import os

from flask import render_template
from flask_babel import gettext
from peewee import JOIN, chunked, fn

from marina_portal.core import audit, mail
from marina_portal.core.db import database, write_locked
from marina_portal.core.formats import fr_datetime, paris_today
from marina_portal.core.i18n import DEFAULT, LANGUAGES, N_, in_language
from marina_portal.core.queue import app_context, huey, request_context
from marina_portal.core.refusals import Refusal
from marina_portal.core.storage import absolute, save_bytes
from marina_portal.core.urls import external_url
from marina_portal.documents import uploads
from marina_portal.models import (
    Contract,
    ContractStatus,
    Customer,
    Document,
    InsuranceReminder,
    InsuranceReminderMail,
    MailStatus,
    Port,
    QueuedMail,
    User,
    utcnow,
)

KINDS = {"insurance": N_("Attestation d'assurance"), "registration": N_("Acte de francisation ou carte de circulation")}
BATCH_SIZE = 50
MAX_VALIDITY_DAYS = 5 * 366  # a later date is surely a typing mistake
REMOVABLE_FOR = dt.timedelta(hours=24)
REMIND_GAP = dt.timedelta(hours=1)  # a second reminder sooner is a double click, refused


class PaperRefused(Refusal):
    """A paper that can't be accepted, with the words to show and the form field they are about (if one)."""

    def __init__(self, message, field=None, **fields):
        super().__init__(message, **fields)
        self.field = field


def add(user, customer, kind, data, original_name, valid_until=None, max_bytes=uploads.DEFAULT_MAX_BYTES, today=None):
    """Check and store a boater's paper; an insurance needs the date it is valid until."""
    today = today or paris_today()
    if kind not in KINDS:
        raise PaperRefused(N_("Choisissez le type de document."), "kind")
    if kind == "insurance":
        if valid_until is None:
            raise PaperRefused(N_("Indiquez la date de fin de validité de l'attestation d'assurance."), "valid_until")
        if valid_until < today:
            raise PaperRefused(
                N_("Cette attestation n'est plus valable : envoyez celle de l'année en cours."), "valid_until"
            )
        if valid_until > today + dt.timedelta(days=MAX_VALIDITY_DAYS):
            raise PaperRefused(
                N_("La date de fin de validité paraît trop lointaine : vérifiez l'année."), "valid_until"
            )
    else:
        valid_until = None
    content_type = uploads.check(data, original_name, max_bytes)
    stored, digest = save_bytes("papers", data, uploads.ALLOWED[content_type][0])
    title = KINDS[kind]
    with database.atomic():
        return Document.create(
            port=customer.port_id,
            customer=customer,
            title=title,
            category="papiers",
            kind=kind,
            valid_until=valid_until,
            content_type=content_type,
            size=len(data),
            sha256=digest,
            stored_as=stored,
            filename=uploads.download_name(f"{title} {customer.full_name}", content_type),
            uploaded_by=getattr(user, "id", user),
        )


def for_customer(customer):
    """The customer's papers, newest first."""
    return list(
        Document.select()
        .where((Document.customer == customer) & Document.kind.in_(tuple(KINDS)))
        .order_by(Document.created_at.desc(), Document.id.desc())
    )


def own_paper(document_id, customer):
    """One of the customer's papers, or None (another boater's looks the same as a missing one)."""
    return Document.get_or_none(
        (Document.id == document_id) & (Document.customer == customer) & Document.kind.in_(tuple(KINDS))
    )


def removable(paper, user, now=None):
    """True when the boater may still remove this paper: sent by them, less than REMOVABLE_FOR ago."""
    now = now or utcnow()
    return paper.uploaded_by_id == getattr(user, "id", user) and _as_datetime(paper.created_at) > now - REMOVABLE_FOR


def remove(user, paper, ip="", now=None):
    """Remove a paper the boater sent by mistake (see `removable`); audited, then its file is deleted."""
    now = now or utcnow()
    with database.atomic():
        deleted = (
            Document.delete()
            .where(
                (Document.id == paper.id)
                & (Document.uploaded_by == getattr(user, "id", user))
                & (Document.created_at > now - REMOVABLE_FOR)
            )
            .execute()
        )
        if not deleted:
            raise PaperRefused(
                N_(
                    "Ce document ne peut plus être retiré en ligne : la capitainerie a pu s'en servir. "
                    "Contactez-la pour le retirer."
                )
            )
        audit.record(
            user,
            "customer.paper_removed",
            ("customer", paper.customer_id),  # in the customer's history
            audit.snapshot(paper, ("id", "kind", "valid_until", "filename", "size", "sha256", "created_at")),
            None,
            ip,
        )
    try:
        os.remove(absolute(paper.stored_as))
    except (FileNotFoundError, ValueError):
        pass


def insured_until(papers):
    """The latest `valid_until` among the insurance certificates of a list of papers (None if none)."""
    dates = [p.valid_until for p in papers if p.kind == "insurance" and p.valid_until]
    return max(dates) if dates else None


def _holders_this_year(port, today):
    first, last = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    return Contract.select(Contract.customer).where(
        (Contract.port == port)
        & (Contract.status != ContractStatus.CANCELLED)
        & (Contract.starts_on <= last)
        & (Contract.ends_on >= first)
    )


def missing_insurance(port, today=None):
    """Customers holding a contract this year without a valid insurance, with `insured_until` (the last
    expired date, or None), `login_email`, `login_language` and `reminded_at` (last reminder), in one query."""
    today = today or paris_today()
    latest = (
        Document.select(Document.customer.alias("owner"), fn.MAX(Document.valid_until).alias("until"))
        .where(Document.kind == "insurance")
        .group_by(Document.customer)
        .alias("latest")
    )
    reminded = (
        InsuranceReminderMail.select(
            InsuranceReminderMail.customer.alias("recipient"), fn.MAX(InsuranceReminderMail.sent_at).alias("last_sent")
        )
        .where(InsuranceReminderMail.sent_at.is_null(False))
        .group_by(InsuranceReminderMail.customer)
        .alias("reminded")
    )
    query = (
        Customer.select(
            Customer,
            latest.c.until.alias("insured_until"),
            User.email.alias("login_email"),
            User.language.alias("login_language"),
            reminded.c.last_sent.alias("reminded_at"),
        )
        .join(latest, JOIN.LEFT_OUTER, on=(latest.c.owner == Customer.id))
        .switch(Customer)
        .join(User, JOIN.LEFT_OUTER, on=((User.customer == Customer.id) & (User.is_enabled == True)))  # noqa: E712
        .switch(Customer)
        .join(reminded, JOIN.LEFT_OUTER, on=(reminded.c.recipient == Customer.id))
        .where(
            (Customer.port == port)
            & Customer.id.in_(_holders_this_year(port, today))
            & (latest.c.until.is_null() | (latest.c.until < today))
        )
        .order_by(Customer.last_name, Customer.first_name, Customer.id)
    )
    rows = list(query.objects())  # every column on the Customer row
    for row in rows:
        row.insured_until = _as_date(row.insured_until)
        row.reminded_at = _as_datetime(row.reminded_at)
        row.reminder_email = row.login_email or row.email or ""
    return rows


def _as_date(value):
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _as_datetime(value):
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def start_reminder(port, staff_user, today=None):
    """Fix the recipients (those missing a valid insurance who have an address) and queue the mails.

    Under the write lock, and refused within REMIND_GAP of the previous one: a double click or two agents
    at once send one reminder, not two mails to every boater."""
    with write_locked(Port.select(Port.id).where(Port.id == port.id)):
        previous = latest_reminder(port)
        if previous is not None and _as_datetime(previous.created_at) > utcnow() - REMIND_GAP:
            raise PaperRefused(
                N_(
                    "Un rappel a déjà été lancé le %(moment)s : attendez une heure avant d'en "
                    "envoyer un autre, pour ne pas envoyer deux fois le même mail."
                ),
                moment=fr_datetime(previous.created_at),
            )
        rows = [row for row in missing_insurance(port, today) if row.reminder_email]
        if not rows:
            raise PaperRefused(
                N_("Aucun plaisancier à relancer : tous ont une assurance valable ou n'ont pas d'adresse mail.")
            )
        reminder = InsuranceReminder.create(
            port=port, created_by=getattr(staff_user, "id", staff_user), mail_total=len(rows)
        )
        recipients = [
            {
                "reminder": reminder.id,
                "customer": row.id,
                "email": row.reminder_email,
                "language": row.login_language or row.language or DEFAULT,
            }
            for row in rows
        ]
        for part in chunked(recipients, 100):  # SQLite limits the parameters of one statement
            InsuranceReminderMail.insert_many(part).execute()
        mail.queue_many(_mails(port, rows), mailing(reminder.id))
    send_insurance_reminders(reminder.id)
    return reminder


def latest_reminder(port):
    return (
        InsuranceReminder.select()
        .where(InsuranceReminder.port == port)
        .order_by(InsuranceReminder.created_at.desc(), InsuranceReminder.id.desc())
        .first()
    )


def mailing(reminder_id):
    return f"insurance_reminder:{reminder_id}"


def _mails(port, rows):
    """One reminder mail per customer row of missing_insurance, in the reader's language."""
    with request_context():
        link = external_url("boat.index")
        for row in rows:
            language = row.login_language or row.language or DEFAULT
            language = language if language in LANGUAGES else DEFAULT
            context = dict(customer=row, port=port, link=link)
            with in_language(language):
                subject = gettext("Votre attestation d'assurance pour %(port)s", port=port.name)
                yield dict(
                    to=row.reminder_email,
                    subject=subject,
                    text=render_template("mail/insurance_reminder.txt", subject=subject, **context),
                    html=render_template("mail/insurance_reminder.html", subject=subject, **context),
                    recipient=row.id,
                )


def send_batch(reminder_id):
    """Send the next batch of a reminder's mails; True when more remain."""
    return mail.deliver_due(mailing=mailing(reminder_id), limit=BATCH_SIZE)


def recount(reminder_id):
    """Each recipient's sent_at and the reminder's mail_sent, from the mails marked sent (after each batch)."""
    key = mailing(reminder_id)
    newly_sent = list(
        QueuedMail.select(QueuedMail.recipient, QueuedMail.sent_at)
        .join(
            InsuranceReminderMail,
            on=(
                (InsuranceReminderMail.customer == QueuedMail.recipient)
                & (InsuranceReminderMail.reminder == reminder_id)
            ),
        )
        .where(
            (QueuedMail.mailing == key)
            & (QueuedMail.status == MailStatus.SENT)
            & InsuranceReminderMail.sent_at.is_null()
        )
    )
    sent = QueuedMail.select().where((QueuedMail.mailing == key) & (QueuedMail.status == MailStatus.SENT)).count()
    with database.atomic():
        for row in newly_sent:
            InsuranceReminderMail.update(sent_at=row.sent_at).where(
                (InsuranceReminderMail.reminder == reminder_id) & (InsuranceReminderMail.customer == row.recipient)
            ).execute()
        InsuranceReminder.update(mail_sent=sent).where(InsuranceReminder.id == reminder_id).execute()


mail.on_progress("insurance_reminder", recount)


@huey.task()
def send_insurance_reminders(reminder_id):
    """One batch of insurance reminder mails; queues the next batch until all are sent (a failed mail is
    retried by core.mail with backoff, not by this task)."""
    with app_context():
        more = send_batch(reminder_id)
    if more:
        send_insurance_reminders(reminder_id)
