"""Online card payments: start an attempt for one invoice, and apply the bank's notifications exactly once.

Only a notification with a good seal moves an attempt or credits an invoice; the browser's
return proves nothing. Every call the bank makes is kept in PaymentNotification. The receipt mail is kept
(core.mail's outbox) in the same transaction as the payment, so it leaves once even if the process dies
right after recording: the bank's resend is then a duplicate, and the worker's sweep sends the receipt.
"""

import datetime as dt
import json
import logging
import re
import secrets

from peewee import IntegrityError

from marina_portal.billing import absence_credits, schedules
from marina_portal.billing.statement import refresh_pdfs_soon
from marina_portal.core import mail
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.urls import external_url
from marina_portal.models import (
    AttemptStatus,
    AuditLog,
    DirectDebit,
    Invoice,
    MailStatus,
    Payment,
    PaymentAttempt,
    PaymentNotification,
    Port,
    QueuedMail,
    utcnow,
)
from marina_portal.payments import ACCEPTED, REFUSED, TEST_IGNORED, billing_address, current_gateway, gateway_named

log = logging.getLogger(__name__)


BANK_PAGE_LASTS = dt.timedelta(minutes=45)  # how long the bank's payment page takes a card after it opened


PAID_HOOKS = []  # functions(attempt) run once a card payment is recorded; True when they mailed the receipt


def after_payment(function):
    """Register a function the bank's confirmation of a payment calls (visitors' stays use it)."""
    PAID_HOOKS.append(function)
    return function


class NothingToPay(Exception):
    """The invoice has no balance left."""


class PaymentInProgress(Exception):
    """A card attempt on this invoice is still open at the bank (another tab): it is shown, not a second one.

    `attempt` and `request` (the same bank form, to continue it); a new one may start from `until`."""

    def __init__(self, attempt, request):
        super().__init__(attempt.reference)
        self.attempt, self.request = attempt, request
        self.until = attempt.created_at + BANK_PAGE_LASTS


class PaymentUnavailable(Exception):
    """The bank settings cannot work (a mistyped terminal key): no attempt is recorded."""


class AddressNeeded(Exception):
    """The billing address is incomplete: the bank's page would refuse it, so ask for it first."""


def online_payment_available(port):
    """False when no bank page is configured (MONETICO_URL unset and no sandbox)."""
    try:
        return bool(current_gateway(port).merchant.url)
    except LookupError:
        return False


def new_reference(invoice: Invoice) -> str:
    """Letters and digits only, unique per attempt: the invoice number then a random tail."""
    stem = re.sub(r"[^A-Za-z0-9]", "", invoice.number)[:30]
    return f"{stem}P{secrets.token_hex(5).upper()}"


def start_attempt(invoice, customer, receipt_email, address=None):
    """Record a pending attempt for what the invoice asks now (its balance, or the instalments due: see
    billing/schedules.py); return it with the bank form to post.

    One open attempt per invoice: while one started less than BANK_PAGE_LASTS ago is pending, a second
    (another tab, a second click) raises PaymentInProgress with the first, so the boater can't pay twice.
    `address`: the billing address the boater typed on the confirmation page, when the one on file is incomplete.
    """
    if invoice.balance_cents <= 0:
        raise NothingToPay(invoice.number)
    gateway = current_gateway(invoice.port)
    problem = gateway.problem()
    if problem:
        log.error("online payment unavailable: %s", problem)
        raise PaymentUnavailable(problem)
    address = address or billing_address.of_customer(customer)
    if billing_address.incomplete(address):
        raise AddressNeeded()
    for _ in range(5):
        try:
            # Under the lock that absence credits take: a credit deducted meanwhile lowers what the bank is
            # asked for, or sees this attempt and leaves the invoice alone. Two tabs queue up here too.
            with absence_credits.locked([customer.id]):
                amount = schedules.to_pay_now(Invoice.with_paid().where(Invoice.id == invoice.id).get(), paris_today())
                if amount <= 0:
                    raise NothingToPay(invoice.number)
                open_attempt = _open_attempt(invoice)
                if open_attempt is not None:
                    raise PaymentInProgress(open_attempt, _bank_request(gateway, open_attempt, address))
                attempt = PaymentAttempt.create(
                    invoice=invoice,
                    customer=customer,
                    gateway=gateway.name,
                    reference=new_reference(invoice),
                    amount_cents=amount,
                    receipt_email=receipt_email,
                )
            break
        except IntegrityError:  # the random tail collided: draw again
            continue
    else:
        raise RuntimeError("could not draw a unique payment reference")
    return attempt, _bank_request(gateway, attempt, address)


def _open_attempt(invoice):
    return (
        PaymentAttempt.select()
        .where(
            (PaymentAttempt.invoice == invoice.id)
            & (PaymentAttempt.status == "pending")
            & (PaymentAttempt.created_at > utcnow() - BANK_PAGE_LASTS)
        )
        .order_by(PaymentAttempt.created_at.desc())
        .first()
    )


def _bank_request(gateway, attempt, address):
    """The form that opens the bank's page for this attempt (the same one again for the same attempt)."""
    return gateway.build_request(
        reference=attempt.reference,
        amount_cents=attempt.amount_cents,
        when=attempt.created_at.replace(tzinfo=dt.timezone.utc),
        email=attempt.receipt_email,
        billing=address,
        free_text=f"Facture {attempt.invoice.number}",
        return_ok=external_url("payment.returned", reference=attempt.reference, way="ok"),
        return_err=external_url("payment.returned", reference=attempt.reference, way="err"),
    )


KEPT_OF_A_BAD_CALL = 4000  # characters of a call with a bad seal kept for the record (a real one is shorter)


def seal_is_valid(gateway_name, fields):
    """True or False for a call to a known gateway's notification URL; None when no such gateway."""
    gateway = gateway_named(gateway_name, Port.current())
    return None if gateway is None else bool(gateway.verify(fields))


def _truncated(fields):
    """The fields of a call with a bad seal as JSON, cut to KEPT_OF_A_BAD_CALL characters: a record of what
    was tried, not a store for whatever an anonymous caller sends."""
    text = json.dumps({str(k)[:100]: str(v)[:500] for k, v in list(fields.items())[:50]}, ensure_ascii=False)
    return text if len(text) <= KEPT_OF_A_BAD_CALL else text[: KEPT_OF_A_BAD_CALL - 1] + "…"


def handle_notification(gateway_name: str, fields: dict[str, str]) -> tuple[str, int, dict[str, str]] | None:
    """Verify, record and answer one call from the bank; returns (body, status, headers) or None if unknown."""
    gateway = gateway_named(gateway_name, Port.current())
    if gateway is None:
        return None
    if not gateway.verify(fields):
        PaymentNotification.create(
            gateway=gateway.name,
            reference=str(fields.get("reference", ""))[:100],
            fields=_truncated(fields),
            seal_valid=False,
            outcome="bad-seal",
        )
        log.warning("payment notification with a bad seal (reference %r)", fields.get("reference"))
        return gateway.acknowledge(False)
    result = gateway.read(fields)
    outcome, attempt, receipt = _apply(gateway.name, result, fields)
    if outcome == "recorded":
        refresh_pdfs_soon(attempt.invoice_id)
        if _run_hooks(attempt):  # a visitor's stay mailed its own receipt (with the gate code): not the invoice's
            if receipt is not None:
                QueuedMail.delete().where(
                    (QueuedMail.id == receipt.id) & (QueuedMail.status == MailStatus.PENDING)
                ).execute()
        elif receipt is not None:
            mail.dispatch(receipt.id)
        _warn_if_also_debited(attempt)
    elif outcome == "test-ignored":
        log.warning("payment %s: a test payment (payetest) on a production terminal, ignored", result.reference)
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
            moved = _move(attempt, AttemptStatus.REFUSED, (AttemptStatus.PENDING,))
            outcome = "refused" if moved else "ignored"
        elif result.status == TEST_IGNORED:
            outcome = "test-ignored"
            AuditLog.create(
                action="payment_test_ignored",
                object_type="payment_attempt",
                object_id=attempt.id,
                after=json.dumps({"label": "paiement de test ignoré", "code": result.code}, ensure_ascii=False),
            )
        else:
            outcome = "ignored"
        receipt = _queue_receipt(attempt) if outcome == "recorded" else None
        note.outcome = outcome
        note.save()
    return outcome, attempt, receipt


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
        if not _move(attempt, AttemptStatus.MISMATCH, (AttemptStatus.PENDING, AttemptStatus.REFUSED)):
            return "duplicate"
        AuditLog.create(
            action="payment_amount_mismatch",
            object_type="payment_attempt",
            object_id=attempt.id,
            before=json.dumps({"amount_cents": attempt.amount_cents, "currency": "EUR"}),
            after=json.dumps({"amount_cents": result.amount_cents, "currency": result.currency}),
        )
        return "mismatch"
    if not _move(attempt, AttemptStatus.PAID, (AttemptStatus.PENDING, AttemptStatus.REFUSED)):
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


def _queue_receipt(attempt):
    """The receipt mail, kept in the payment's transaction (a savepoint: the payment stands whatever happens
    to its mail); None when there is no address or it could not be written."""
    invoice = Invoice.with_paid().where(Invoice.id == attempt.invoice_id).first()
    customer = attempt.customer
    to = attempt.receipt_email or customer.email
    if not to:
        return None
    try:
        with database.atomic():
            return mail.queue_email(
                to,
                N_("Reçu de paiement — facture %(number)s"),
                "payment_receipt",
                language=customer.language,
                subject_fields={"number": invoice.number},
                port=invoice.port,
                customer=customer,
                invoice=invoice,
                attempt=PaymentAttempt.get_by_id(attempt.id),
            )
    except Exception:  # the payment is recorded whatever happens to the mail
        log.exception("receipt mail for payment %s not kept", attempt.reference)
        return None


def _warn_if_also_debited(attempt):
    """A card payment on an invoice a direct debit already collects: the excess is to refund; tell the office."""
    debited = (
        DirectDebit.select(DirectDebit.end_to_end_id)
        .where((DirectDebit.invoice == attempt.invoice_id) & (DirectDebit.status != "returned"))
        .first()
    )
    if debited is None:
        return
    invoice = Invoice.with_paid().where(Invoice.id == attempt.invoice_id).first()
    if invoice.balance_cents >= 0:  # the debits took earlier instalments, the card a later one: nothing twice
        return
    AuditLog.create(
        action="payment_overpaid_by_card",
        object_type="invoice",
        object_id=invoice.id,
        after=json.dumps(
            {
                "attempt": attempt.reference,
                "direct_debit": debited.end_to_end_id,
                "excess_cents": -invoice.balance_cents,
            }
        ),
    )
    port = invoice.port
    if not port.email:
        log.warning("invoice %s paid by card and by direct debit: nobody to tell", invoice.number)
        return
    try:
        send_email(
            port.email,
            N_("Facture %(number)s payée deux fois : carte et prélèvement"),
            "payment_double",
            language="fr",
            subject_fields={"number": invoice.number},
            port=port,
            invoice=invoice,
            attempt=attempt,
            end_to_end_id=debited.end_to_end_id,
            excess=-invoice.balance_cents,
        )
    except Exception:
        log.exception("office not told of invoice %s paid twice", invoice.number)


def attempt_by_reference(reference: str) -> PaymentAttempt | None:
    return PaymentAttempt.get_or_none(PaymentAttempt.reference == reference)
