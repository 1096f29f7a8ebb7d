"""Online card payments: start an attempt for one invoice, and apply the bank's notifications exactly once.

Only a notification with a good seal moves an attempt or credits an invoice; the browser's
return proves nothing. Every call the bank makes is kept in PaymentNotification.
"""

import datetime as dt
import json
import logging
import re
import secrets

from peewee import IntegrityError

from marina_portal.billing import absence_credits
from marina_portal.billing.statement import refresh_pdfs_soon
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.urls import external_url
from marina_portal.models import AuditLog, Invoice, Payment, PaymentAttempt, PaymentNotification, Port, utcnow
from marina_portal.payments import ACCEPTED, REFUSED, current_gateway, gateway_named

log = logging.getLogger(__name__)


PAID_HOOKS = []  # functions(attempt) run once a card payment is recorded; True when they mailed the receipt


def after_payment(function):
    """Register a function the bank's confirmation of a payment calls (visitors' stays use it)."""
    PAID_HOOKS.append(function)
    return function


class NothingToPay(Exception):
    """The invoice has no balance left."""


def online_payment_available(port):
    """False when no bank page is configured (MONETICO_URL unset and no sandbox)."""
    try:
        return bool(current_gateway(port).merchant.url)
    except LookupError:
        return False


def new_reference(invoice):
    """Letters and digits only, unique per attempt: the invoice number then a random tail."""
    stem = re.sub(r"[^A-Za-z0-9]", "", invoice.number)[:30]
    return f"{stem}P{secrets.token_hex(5).upper()}"


def start_attempt(invoice, customer, receipt_email):
    """Record a pending attempt for the invoice's whole balance; return it with the bank form to post."""
    if invoice.balance_cents <= 0:
        raise NothingToPay(invoice.number)
    gateway = current_gateway(invoice.port)
    for _ in range(5):
        try:
            # Under the lock that absence credits take: a credit deducted meanwhile lowers what the bank is
            # asked for, or sees this attempt and leaves the invoice alone.
            with absence_credits.locked([customer.id]):
                balance = Invoice.with_paid().where(Invoice.id == invoice.id).get().balance_cents
                if balance <= 0:
                    raise NothingToPay(invoice.number)
                attempt = PaymentAttempt.create(
                    invoice=invoice,
                    customer=customer,
                    gateway=gateway.name,
                    reference=new_reference(invoice),
                    amount_cents=balance,
                    receipt_email=receipt_email,
                )
            break
        except IntegrityError:  # the random tail collided: draw again
            continue
    else:
        raise RuntimeError("could not draw a unique payment reference")
    request = gateway.build_request(
        reference=attempt.reference,
        amount_cents=attempt.amount_cents,
        when=dt.datetime.now(dt.timezone.utc),
        email=receipt_email,
        billing={
            "addressLine1": customer.street,
            "city": customer.town,
            "postalCode": customer.postcode,
            "country": customer.country or "FR",
        },
        free_text=f"Facture {invoice.number}",
        return_ok=external_url("payment.returned", reference=attempt.reference, way="ok"),
        return_err=external_url("payment.returned", reference=attempt.reference, way="err"),
    )
    return attempt, request


def handle_notification(gateway_name, fields):
    """Verify, record and answer one call from the bank; returns (body, status, headers) or None if unknown."""
    gateway = gateway_named(gateway_name, Port.current())
    if gateway is None:
        return None
    if not gateway.verify(fields):
        PaymentNotification.create(
            gateway=gateway.name,
            reference=str(fields.get("reference", ""))[:100],
            fields=json.dumps(fields, ensure_ascii=False),
            seal_valid=False,
            outcome="bad-seal",
        )
        log.warning("payment notification with a bad seal (reference %r)", fields.get("reference"))
        return gateway.acknowledge(False)
    result = gateway.read(fields)
    outcome, attempt = _apply(gateway.name, result, fields)
    if outcome == "recorded":
        refresh_pdfs_soon(attempt.invoice_id)
        if not _run_hooks(attempt):
            _send_receipt(attempt)
    elif outcome == "mismatch":
        log.warning(
            "payment %s: the bank's amount %r differs from the attempt's", result.reference, fields.get("montant")
        )
    return gateway.acknowledge(True)


def _run_hooks(attempt):
    handled = False
    for hook in PAID_HOOKS:
        try:
            handled = hook(attempt) or handled
        except Exception:  # the payment is recorded; the bank must still get its answer
            log.exception("after-payment hook %s failed for %s", hook.__name__, attempt.reference)
    return handled


def _apply(gateway_name, result, fields):
    """One transaction: keep the call, move the attempt, credit the invoice at most once."""
    with database.atomic():
        # Writing first takes the write lock before anything is read, so two calls queue up here.
        note = PaymentNotification.create(
            gateway=gateway_name,
            reference=result.reference[:100],
            fields=json.dumps(fields, ensure_ascii=False),
            seal_valid=True,
        )
        attempt = PaymentAttempt.get_or_none(
            (PaymentAttempt.reference == result.reference) & (PaymentAttempt.gateway == gateway_name)
        )
        if attempt is None:
            outcome = "unknown"
        elif result.status == ACCEPTED:
            outcome = _accept(attempt, result)
        elif result.status == REFUSED:
            moved = _move(attempt, "refused", ("pending",))
            outcome = "refused" if moved else "ignored"
        else:
            outcome = "ignored"
        note.outcome = outcome
        note.save()
    return outcome, attempt


def _move(attempt, status, from_statuses):
    """Change the attempt's status only from the given ones; True when this call changed it."""
    changed = (
        PaymentAttempt.update(status=status, notified_at=utcnow())
        .where((PaymentAttempt.id == attempt.id) & PaymentAttempt.status.in_(from_statuses))
        .execute()
    )
    return changed == 1


def _accept(attempt, result):
    if result.amount_cents != attempt.amount_cents or result.currency != "EUR":
        if not _move(attempt, "mismatch", ("pending", "refused")):
            return "duplicate"
        AuditLog.create(
            action="payment_amount_mismatch",
            object_type="payment_attempt",
            object_id=attempt.id,
            before=json.dumps({"amount_cents": attempt.amount_cents, "currency": "EUR"}),
            after=json.dumps({"amount_cents": result.amount_cents, "currency": result.currency}),
        )
        return "mismatch"
    if not _move(attempt, "paid", ("pending", "refused")):
        return "duplicate"
    try:
        with database.atomic():
            Payment.create(
                invoice=attempt.invoice_id,
                method="card",
                amount_cents=attempt.amount_cents,
                received_on=paris_today(),
                reference=attempt.reference,
                attempt=attempt,
            )
    except IntegrityError:  # Payment.attempt is unique: someone else recorded it
        return "duplicate"
    return "recorded"


def _send_receipt(attempt):
    invoice = Invoice.with_paid().where(Invoice.id == attempt.invoice_id).first()
    to = attempt.receipt_email or attempt.customer.email
    if not to:
        return
    try:
        send_email(
            to,
            N_("Reçu de paiement — facture %(number)s"),
            "payment_receipt",
            language=attempt.customer.language,
            subject_fields={"number": invoice.number},
            port=invoice.port,
            customer=attempt.customer,
            invoice=invoice,
            attempt=PaymentAttempt.get_by_id(attempt.id),
        )
    except Exception:  # the payment is recorded whatever happens to the mail
        log.exception("receipt mail for payment %s not sent", attempt.reference)


def attempt_by_reference(reference):
    return PaymentAttempt.get_or_none(PaymentAttempt.reference == reference)
