"""Overdue follow-up (relances): the port's schedule, the reminders due on a day, disputes that stop them.

A reminder goes out for an invoice whose due date is that many days past and which still has a balance,
unless a direct debit is collecting it, a card payment began within the hour, or the boater disputes it.
Each invoice gets at most one reminder per step, and only the latest step reached (a schedule set late
does not send three mails at once). An invoice paid in instalments is late from its first instalment not paid
(billing/schedules.py), so instalments not yet due bring no reminder. The row is written before the mail
leaves, under a unique index, so two workers never send the same reminder twice. Every reminder stays on the
invoice's history.
"""

import datetime as dt
import logging

from peewee import SQL, IntegrityError, fn

from marina_portal.billing import absence_credits, mailing, schedules
from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.refusals import Refusal
from marina_portal.models import (
    Invoice,
    InvoiceDispute,
    InvoiceReminder,
    Payment,
    PaymentAttempt,
    Port,
    ReminderStep,
    utcnow,
)

log = logging.getLogger(__name__)
KINDS = {"reminder": "Relance", "formal_notice": "Mise en demeure"}
DEFAULT_SCHEDULE = [(15, "reminder"), (30, "reminder"), (45, "formal_notice")]
MAX_STEPS = 6


class Refused(Refusal):
    """A schedule or dispute change that can't be made, with the words to show."""


def schedule(port):
    return list(ReminderStep.select().where(ReminderStep.port == port).order_by(ReminderStep.days_after_due))


def set_schedule(user, port, steps, ip=""):
    """Replace the port's schedule by `steps`, a list of (days after due date, kind); an empty list stops it."""
    steps = sorted(steps)
    if len(steps) > MAX_STEPS:
        raise Refused(f"Au plus {MAX_STEPS} relances.")
    days = [d for d, _ in steps]
    if any(d < 1 or d > 365 for d in days):
        raise Refused("Chaque relance a lieu entre 1 et 365 jours après l'échéance.")
    if len(set(days)) != len(days):
        raise Refused("Deux relances ne peuvent pas tomber le même jour.")
    if any(kind not in KINDS for _, kind in steps):
        raise Refused("Choisissez relance ou mise en demeure.")
    before = [(s.days_after_due, s.kind) for s in schedule(port)]
    if before == steps:
        return False
    with database.atomic():
        ReminderStep.delete().where(ReminderStep.port == port).execute()
        for d, kind in steps:
            ReminderStep.create(port=port, days_after_due=d, kind=kind)
        audit.record(user, "reminders.schedule", port, {"steps": before}, {"steps": steps}, ip)
    return True


def open_dispute(user, invoice, reason, ip=""):
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Indiquez l'objet de la contestation.")
    if active_dispute(invoice.id):
        raise Refused("Une contestation est déjà en cours sur cette facture.")
    with database.atomic():
        dispute = InvoiceDispute.create(invoice=invoice.id, reason=reason, opened_by=getattr(user, "id", None))
        audit.record(user, "invoice.dispute_open", ("invoice", invoice.id), None, {"reason": reason}, ip)
    return dispute


def close_dispute(user, invoice, ip=""):
    dispute = active_dispute(invoice.id)
    if dispute is None:
        raise Refused("Aucune contestation en cours.")
    with database.atomic():
        dispute.closed_at, dispute.closed_by = utcnow(), getattr(user, "id", None)
        dispute.save()
        audit.record(user, "invoice.dispute_close", ("invoice", invoice.id), {"reason": dispute.reason}, None, ip)
    return dispute


def active_dispute(invoice_id):
    return (
        InvoiceDispute.select()
        .where((InvoiceDispute.invoice == invoice_id) & InvoiceDispute.closed_at.is_null())
        .first()
    )


def history(invoice_id):
    return list(InvoiceReminder.select().where(InvoiceReminder.invoice == invoice_id).order_by(InvoiceReminder.sent_at))


def _candidates(port, latest_due, now):
    """Issued invoices of the port due on or before `latest_due`, with a balance, that nothing holds back."""
    paid = Payment.select(fn.COALESCE(fn.SUM(Payment.amount_cents), 0)).where(
        (Payment.invoice == Invoice.id) & Payment.cancelled_at.is_null()
    )
    disputed = InvoiceDispute.select(SQL("1")).where(
        (InvoiceDispute.invoice == Invoice.id) & InvoiceDispute.closed_at.is_null()
    )
    card = PaymentAttempt.select(SQL("1")).where(
        (PaymentAttempt.invoice == Invoice.id)
        & (PaymentAttempt.status == "pending")
        & (PaymentAttempt.created_at > now - absence_credits.CARD_WINDOW)
    )
    last = InvoiceReminder.select(fn.MAX(InvoiceReminder.days_after_due)).where(InvoiceReminder.invoice == Invoice.id)
    return (
        Invoice.select(Invoice, paid.alias("paid_cents"), fn.COALESCE(last, 0).alias("last_step"))
        .where(
            (Invoice.port == port)
            & (Invoice.number != "")
            & Invoice.due_on.is_null(False)
            & (Invoice.due_on <= latest_due)
            & (Invoice.collection_status != "in_progress")
            & (Invoice.total_cents > paid)
            & ~fn.EXISTS(disputed)
            & ~fn.EXISTS(card)
        )
        .order_by(Invoice.due_on, Invoice.id)
    )


def due(port, today):
    """[(invoice, step)] of the reminders to send on `today`: per invoice the latest step reached, once."""
    steps = schedule(port)
    if not steps:
        return []
    found = []
    for invoice in _candidates(port, today - dt.timedelta(days=steps[0].days_after_due), utcnow()):
        reached = [s for s in steps if s.days_after_due <= (today - _late_since(invoice)).days]
        if reached and reached[-1].days_after_due > invoice.last_step:
            found.append((invoice, reached[-1]))
    return found


def _late_since(invoice):
    """The due date of what is left to pay: that of its first instalment not paid (the invoice's own when paid
    at once)."""
    unpaid = schedules.first_unpaid(invoice)
    return unpaid.due_on if unpaid is not None else invoice.due_on


def send_due(today=None):
    """Send every reminder due today in every port; returns how many were recorded."""
    today = today or paris_today()
    sent = 0
    for port in list(Port.select()):  # a mail sent at once (immediate mode) closes the connection
        for invoice, step in due(port, today):
            reminder = _record(invoice, step)
            if reminder is None:
                continue
            sent += 1
            if reminder.email:
                try:
                    mailing.send_reminder(invoice, reminder)
                except Exception:  # the reminder is on the history; staff see it was not mailed
                    log.exception("reminder %s for invoice %s not mailed", reminder.id, invoice.number)
    return sent


def _record(invoice, step):
    customer = invoice.customer
    try:
        with database.atomic():
            reminder = InvoiceReminder.create(
                invoice=invoice.id,
                step=step,
                days_after_due=step.days_after_due,
                kind=step.kind,
                email=mailing.address_of(customer) or "",
                balance_cents=invoice.balance_cents,
            )
            audit.record(
                None,
                "invoice.reminder",
                ("invoice", invoice.id),
                None,
                {
                    "kind": step.kind,
                    "days_after_due": step.days_after_due,
                    "balance_cents": invoice.balance_cents,
                    "email": reminder.email,
                },
            )
    except IntegrityError:  # another worker sent this step already
        return None
    return reminder
