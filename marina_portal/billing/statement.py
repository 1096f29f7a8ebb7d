"""Invoices as a boater sees them: the account statement with its totals, and the invoice PDF."""

import datetime as dt
from dataclasses import dataclass, field

from peewee import SQL, fn

from marina_portal.billing import einvoice, legal, schedules
from marina_portal.billing.methods import METHOD_LABELS
from marina_portal.core.db import Compiled
from marina_portal.core.formats import paris_today
from marina_portal.core.pdf import PDF_A_3B, render_pdf_cached
from marina_portal.core.queue import app_context, huey
from marina_portal.models import (
    AttemptStatus,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAttempt,
    utcnow,
)


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
            & (PaymentAttempt.status == AttemptStatus.PENDING)
            & (PaymentAttempt.created_at > since)
        )
    )
    return (
        Invoice.with_paid()
        .select_extend(awaiting.alias("awaiting"), Invoice.absence_credit_column().alias("absence_credit_cents"))
        .where((Invoice.customer == customer_id) & (Invoice.status == InvoiceStatus.ISSUED))
        .order_by(Invoice.issued_on, Invoice.number)
    )


_STATEMENT = Compiled(Invoice, _statement_query)  # COMPTE CLIENT runs it on every visit


def statement(customer_id):
    """Every invoice of the customer with what is paid, oldest first as in the tutorial, in one query."""
    invoices = list(_STATEMENT(int(customer_id), utcnow() - dt.timedelta(hours=1)))
    today = paris_today()
    for invoice in invoices:  # computed, no query: the schedule of an invoice paid in instalments, what is asked now
        invoice.instalments = schedules.shown(invoice)
        invoice.to_pay_cents = schedules.to_pay_now(invoice, today)
    return Statement(
        invoices=invoices,
        total_cents=sum(i.total_cents for i in invoices),
        paid_cents=sum(i.paid_cents for i in invoices),
        awaiting_bank={i.id for i in invoices if i.awaiting},
    )


def invoice_with_paid(invoice_id):
    """One invoice annotated with paid_cents, or None."""
    return Invoice.with_paid().where(Invoice.id == invoice_id).first()


def _amounts(lines, total_ttc, port):
    """The figures of pdf/_amounts.html: VAT per rate, totals, and the VAT mention of the port's regime."""
    vat_rates = {}
    for line in lines:
        vat_rates.setdefault(line.vat_rate_bp, [0, 0])
        vat_rates[line.vat_rate_bp][0] += line.total_ht_cents
        vat_rates[line.vat_rate_bp][1] += line.total_vat_cents
    return dict(
        lines=lines,
        vat_rates=sorted(vat_rates.items()),
        total_ht=sum(line.total_ht_cents for line in lines),
        total_vat=sum(line.total_vat_cents for line in lines),
        total_ttc=total_ttc,
        vat_mention=legal.vat_mention(port),
        seller={"name": legal.seller_name(port), "lines": legal.seller_lines(port)},
        port=port,
    )


def invoice_pdf(invoice_id):
    """The invoice as a PDF with every mention French law asks (billing/legal.py), payments received, balance."""
    invoice = invoice_with_paid(invoice_id)
    lines = list(invoice.lines.order_by(InvoiceLine.position, InvoiceLine.id))
    payments = list(invoice.payments.where(Payment.cancelled_at.is_null()).order_by(Payment.received_on, Payment.id))
    port, customer = invoice.port, invoice.customer
    return render_pdf_cached(
        f"invoice-{invoice.id}",
        "pdf/invoice.html",
        variant=PDF_A_3B,
        finish=einvoice.pdf_finish(
            einvoice.invoice_data(invoice, lines, payments), f"Facture {invoice.number}", port.name
        ),
        customer=customer,
        invoice=invoice,
        payments=payments,
        credit_notes=list(invoice.credit_notes.order_by(CreditNote.issued_on, CreditNote.id)),
        payment_mentions=legal.payment_mentions(port, customer),
        instalments=schedules.shown(invoice),
        by_debit=schedules.by_debit(invoice),
        methods=METHOD_LABELS,
        **_amounts(lines, invoice.total_cents, port),
    )


def credit_note_pdf(note_id):
    """The credit note as a PDF: the invoice it corrects, its reason, the lines or amount credited."""
    note = CreditNote.get_by_id(note_id)
    lines = list(note.lines.order_by(CreditNoteLine.position, CreditNoteLine.id))
    return render_pdf_cached(
        f"credit-note-{note.id}",
        "pdf/credit_note.html",
        variant=PDF_A_3B,
        finish=einvoice.pdf_finish(einvoice.credit_note_data(note, lines), f"Avoir {note.number}", note.port.name),
        customer=note.customer,
        note=note,
        invoice=note.invoice,
        **_amounts(lines, note.total_cents, note.port),
    )


def credit_notes_of(customer_id):
    """The customer's credit notes with their invoice, oldest first, for COMPTE CLIENT (one query)."""
    return list(
        CreditNote.select(CreditNote, Invoice)
        .join(Invoice)
        .where(CreditNote.customer == customer_id)
        .order_by(CreditNote.issued_on, CreditNote.id)
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
    return "facture-" + ("".join(c if c.isalnum() else "-" for c in invoice.number) or "brouillon") + ".pdf"


def credit_note_filename(note):
    return "avoir-" + "".join(c if c.isalnum() else "-" for c in note.number) + ".pdf"
