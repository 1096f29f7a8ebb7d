"""Invoices with lines and VAT, and payments received at the harbour office (never deleted, only cancelled)."""

from dataclasses import dataclass

from peewee import IntegrityError

from marina_portal.billing import absence_credits
from marina_portal.billing.statement import refresh_pdfs_soon
from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.models import Customer, Invoice, InvoiceLine, Payment, PaymentAttempt, utcnow

OFFICE_METHODS = {"cheque": "Chèque", "transfer": "Virement", "cash": "Espèces"}
METHOD_LABELS = dict(
    OFFICE_METHODS,
    card="Carte bancaire",
    direct_debit="Prélèvement SEPA",
    credit="Avoir",
    absence_credit="Crédit absence déduit",
)
PAYMENT_FIELDS = ("invoice", "method", "amount_cents", "received_on", "reference", "cancelled_at", "cancel_reason")


class Refused(Exception):
    """A change the harbour office asked for that can't be made, with the words to show."""


@dataclass
class Line:
    description: str
    quantity_milli: int
    unit_price_cents: int
    vat_rate_bp: int

    @property
    def total_ht_cents(self):
        return _round_div(self.quantity_milli * self.unit_price_cents, 1000)

    @property
    def total_vat_cents(self):
        return _round_div(self.total_ht_cents * self.vat_rate_bp, 10000)


def _round_div(numerator, denominator):
    """Integer division rounded half away from zero, so cents never drift through floats."""
    sign = -1 if numerator < 0 else 1
    quotient, rest = divmod(abs(numerator), denominator)
    return sign * (quotient + (1 if rest * 2 >= denominator else 0))


def totals(lines):
    ht = sum(line.total_ht_cents for line in lines)
    vat = sum(line.total_vat_cents for line in lines)
    return ht, vat, ht + vat


def create_invoice(user, customer, number, issued_on, due_on, label, lines, ip="", contract_id=None):
    """A new invoice whose total is the sum of its lines, HT plus VAT, in cents."""
    if not lines:
        raise Refused("Ajoutez au moins une ligne à la facture.")
    number = number.strip()
    if Invoice.select().where((Invoice.port == customer.port_id) & (Invoice.number == number)).exists():
        raise Refused(f"Le numéro de facture {number} est déjà utilisé.")
    _, _, total = totals(lines)
    try:
        with database.atomic():
            invoice = Invoice.create(
                port=customer.port_id,
                customer=customer,
                contract=contract_id,
                number=number,
                issued_on=issued_on,
                due_on=due_on,
                label=label.strip(),
                total_cents=total,
            )
            for position, line in enumerate(lines, start=1):
                InvoiceLine.create(
                    invoice=invoice,
                    position=position,
                    description=line.description,
                    quantity_milli=line.quantity_milli,
                    unit_price_cents=line.unit_price_cents,
                    vat_rate_bp=line.vat_rate_bp,
                    total_ht_cents=line.total_ht_cents,
                    total_vat_cents=line.total_vat_cents,
                )
            audit.record(
                user,
                "invoice.create",
                invoice,
                None,
                dict(
                    audit.snapshot(
                        invoice, ("customer", "contract", "number", "issued_on", "due_on", "label", "total_cents")
                    ),
                    lines=len(lines),
                ),
                ip,
            )
            # The customer's absence credit goes to this invoice if it is the next one (same transaction).
            invoice.absence_credit_cents = sum(
                p.amount_cents for p in absence_credits.apply([customer.id], user, ip) if p.invoice_id == invoice.id
            )
    except IntegrityError:
        raise Refused(f"Le numéro de facture {number} est déjà utilisé.") from None
    refresh_pdfs_soon(invoice.id)
    return invoice


def invoice_with_paid(invoice_id):
    return Invoice.with_paid().where(Invoice.id == invoice_id).first()


def card_under_way(invoice_id):
    """The boater's card payment started within the hour and not yet confirmed by the bank, if any."""
    return (
        PaymentAttempt.select()
        .where(
            (PaymentAttempt.invoice == invoice_id)
            & (PaymentAttempt.status == "pending")
            & (PaymentAttempt.created_at > utcnow() - absence_credits.CARD_WINDOW)
        )
        .order_by(PaymentAttempt.created_at.desc())
        .first()
    )


def record_payment(user, invoice_id, method, amount_cents, received_on, reference="", ip=""):
    """A cheque, transfer or cash received for an invoice; it may not exceed what is still due."""
    if method not in OFFICE_METHODS:
        raise Refused("Choisissez le mode de règlement : chèque, virement ou espèces.")
    if not amount_cents or amount_cents <= 0:
        raise Refused("Le montant doit être supérieur à zéro.")
    with database.atomic():
        invoice = invoice_with_paid(invoice_id)
        if amount_cents > invoice.balance_cents:
            raise Refused("Le montant dépasse le solde de la facture.")
        payment = Payment.create(
            invoice=invoice,
            method=method,
            amount_cents=amount_cents,
            received_on=received_on,
            reference=(reference or "").strip(),
            recorded_by=getattr(user, "id", None),
        )
        audit.record(user, "payment.record", payment, None, audit.snapshot(payment, PAYMENT_FIELDS), ip)
    refresh_pdfs_soon(invoice.id)
    return payment


def cancel_payment(user, payment, reason, ip=""):
    """Mark a payment as cancelled with its reason; the row stays, the balance comes back."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Indiquez le motif de l'annulation.")
    if payment.cancelled_at is not None:
        raise Refused("Ce règlement est déjà annulé.")
    with database.atomic():
        before = audit.snapshot(payment, PAYMENT_FIELDS)
        payment.cancelled_at = utcnow()
        payment.cancelled_by = getattr(user, "id", None)
        payment.cancel_reason = reason
        payment.save()
        audit.record(user, "payment.cancel", payment, before, audit.snapshot(payment, PAYMENT_FIELDS), ip)
    refresh_pdfs_soon(payment.invoice_id)
    return payment


def received_between(port, start, end, method=""):
    """Payments received in [start, end] (not cancelled), with invoice and customer, and their total."""

    query = (
        Payment.select(Payment, Invoice, Customer)
        .join(Invoice)
        .join(Customer)
        .where((Invoice.port == port) & Payment.cancelled_at.is_null() & Payment.received_on.between(start, end))
    )
    if method:
        query = query.where(Payment.method == method)
    rows = list(query.order_by(Payment.received_on, Payment.id))
    return rows, sum(p.amount_cents for p in rows)
