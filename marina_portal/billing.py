"""Invoices as a boater sees them: the account statement with its totals, and the invoice PDF."""
import datetime as dt
from dataclasses import dataclass, field

from . import absence_credits
from .models import Invoice, InvoiceLine, Payment, PaymentAttempt, utcnow
from .pdf import render_pdf


@dataclass
class Statement:
    invoices: list
    total_cents: int
    paid_cents: int
    awaiting_bank: set = field(default_factory=set)  # ids of invoices with a card payment not yet confirmed

    @property
    def balance_cents(self):
        return self.total_cents - self.paid_cents


def statement(customer_id):
    """Every invoice of the customer with what is paid, oldest first as in the tutorial, in one query."""
    invoices = list(
        Invoice.with_paid()
        .select_extend(absence_credits.deducted_column().alias("absence_credit_cents"))
        .where(Invoice.customer == customer_id)
        .order_by(Invoice.issued_on, Invoice.number)
    )
    recent = utcnow() - dt.timedelta(hours=1)
    awaiting = PaymentAttempt.select(PaymentAttempt.invoice).where(
        (PaymentAttempt.customer == customer_id) & (PaymentAttempt.status == "pending")
        & (PaymentAttempt.created_at > recent)
    )
    return Statement(
        invoices=invoices,
        total_cents=sum(i.total_cents for i in invoices),
        paid_cents=sum(i.paid_cents for i in invoices),
        awaiting_bank={a.invoice_id for a in awaiting},
    )


def invoice_with_paid(invoice_id):
    """One invoice annotated with paid_cents, or None."""
    return Invoice.with_paid().where(Invoice.id == invoice_id).first()


def invoice_pdf(invoice_id):
    """The invoice as a PDF: port, boater, lines with VAT, totals, payments received, balance."""
    invoice = invoice_with_paid(invoice_id)
    lines = list(invoice.lines.order_by(InvoiceLine.position, InvoiceLine.id))
    payments = list(
        invoice.payments.where(Payment.cancelled_at.is_null()).order_by(Payment.received_on, Payment.id)
    )
    vat_rates = {}
    for line in lines:
        vat_rates.setdefault(line.vat_rate_bp, [0, 0])
        vat_rates[line.vat_rate_bp][0] += line.total_ht_cents
        vat_rates[line.vat_rate_bp][1] += line.total_vat_cents
    return render_pdf(
        "pdf/invoice.html", port=invoice.port, customer=invoice.customer, invoice=invoice, lines=lines,
        payments=payments, vat_rates=sorted(vat_rates.items()),
        total_ht=sum(line.total_ht_cents for line in lines),
        total_vat=sum(line.total_vat_cents for line in lines),
    )


def pdf_filename(invoice):
    return "facture-" + "".join(c if c.isalnum() else "-" for c in invoice.number) + ".pdf"
