"""Invoices as a boater sees them: the account statement with its totals, and the invoice PDF."""

import datetime as dt
from dataclasses import dataclass, field

from peewee import SQL, fn

from marina_portal.core.db import Compiled
from marina_portal.core.pdf import render_pdf_cached
from marina_portal.core.queue import app_context, huey
from marina_portal.models import Invoice, InvoiceLine, Payment, PaymentAttempt, utcnow


@dataclass
class Statement:
    invoices: list
    total_cents: int
    paid_cents: int
    awaiting_bank: set = field(default_factory=set)  # ids of invoices with a card payment not yet confirmed

    @property
    def balance_cents(self):
        return self.total_cents - self.paid_cents


def _statement_query(customer_id, since):
    """The customer's invoices with `paid_cents`, and `awaiting`: a card payment begun since `since`."""
    awaiting = fn.EXISTS(
        PaymentAttempt.select(SQL("1")).where(
            (PaymentAttempt.invoice == Invoice.id)
            & (PaymentAttempt.customer == Invoice.customer)
            & (PaymentAttempt.status == "pending")
            & (PaymentAttempt.created_at > since)
        )
    )
    return (
        Invoice.with_paid()
        .select_extend(awaiting.alias("awaiting"), Invoice.absence_credit_column().alias("absence_credit_cents"))
        .where(Invoice.customer == customer_id)
        .order_by(Invoice.issued_on, Invoice.number)
    )


_STATEMENT = Compiled(Invoice, _statement_query)  # COMPTE CLIENT runs it on every visit


def statement(customer_id):
    """Every invoice of the customer with what is paid, oldest first as in the tutorial, in one query."""
    invoices = list(_STATEMENT(int(customer_id), utcnow() - dt.timedelta(hours=1)))
    return Statement(
        invoices=invoices,
        total_cents=sum(i.total_cents for i in invoices),
        paid_cents=sum(i.paid_cents for i in invoices),
        awaiting_bank={i.id for i in invoices if i.awaiting},
    )


def invoice_with_paid(invoice_id):
    """One invoice annotated with paid_cents, or None."""
    return Invoice.with_paid().where(Invoice.id == invoice_id).first()


def invoice_pdf(invoice_id):
    """The invoice as a PDF: port, boater, lines with VAT, totals, payments received, balance."""
    invoice = invoice_with_paid(invoice_id)
    lines = list(invoice.lines.order_by(InvoiceLine.position, InvoiceLine.id))
    payments = list(invoice.payments.where(Payment.cancelled_at.is_null()).order_by(Payment.received_on, Payment.id))
    vat_rates = {}
    for line in lines:
        vat_rates.setdefault(line.vat_rate_bp, [0, 0])
        vat_rates[line.vat_rate_bp][0] += line.total_ht_cents
        vat_rates[line.vat_rate_bp][1] += line.total_vat_cents
    return render_pdf_cached(
        f"invoice-{invoice.id}",
        "pdf/invoice.html",
        port=invoice.port,
        customer=invoice.customer,
        invoice=invoice,
        lines=lines,
        payments=payments,
        vat_rates=sorted(vat_rates.items()),
        total_ht=sum(line.total_ht_cents for line in lines),
        total_vat=sum(line.total_vat_cents for line in lines),
    )


def refresh_pdfs_soon(*invoice_ids):
    """After invoices changed: render their PDFs in the background, so the first download is a file read.

    Skipped when tasks run immediately (development, tests): it would render inside the request.
    A render that races a newer change is harmless, as the cache is keyed by the PDF's HTML.
    """
    if invoice_ids and not huey.immediate:
        render_invoice_pdfs(sorted(set(invoice_ids)))


@huey.task(retries=1, retry_delay=60)
def render_invoice_pdfs(invoice_ids):
    """Fill the PDF cache for invoices that just changed (see refresh_pdfs_soon)."""
    with app_context():
        for invoice_id in invoice_ids:
            invoice_pdf(invoice_id)


def pdf_filename(invoice):
    return "facture-" + "".join(c if c.isalnum() else "-" for c in invoice.number) + ".pdf"
