"""Credit notes (avoirs): the only correction of an issued invoice, whole, by line or by amount.

A credit note is numbered in its own series (AV2027/00001) when it is created, refers to its invoice, and
settles that invoice by a payment of method "credit" of its amount: the invoice's balance falls by as much,
COMPTE CLIENT shows it, and a balance below zero is money to pay back (invoicing.record_refund).
Nothing credits more than the invoice: quantities per line and the TTC amount left are checked under a lock.
"""

from dataclasses import dataclass

from peewee import fn

from marina_portal.billing import numbering
from marina_portal.billing.invoicing import Line, Refused, round_div
from marina_portal.billing.methods import CREDIT_NOTE
from marina_portal.billing.statement import refresh_pdfs_soon
from marina_portal.core import audit
from marina_portal.core.db import write_locked
from marina_portal.core.formats import euros, paris_today
from marina_portal.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, Payment, utcnow

FIELDS = ("invoice", "number", "issued_on", "total_cents", "reason")


@dataclass
class Left:
    """What may still be credited on an invoice: TTC cents, and quantity (thousandths) per invoice line id."""

    cents: int
    quantities: dict
    by_amount_before: bool  # an earlier credit note was by amount: lines can no longer be credited in full


def left_to_credit(invoice):
    credited = (
        CreditNote.select(fn.COALESCE(fn.SUM(CreditNote.total_cents), 0))
        .where(CreditNote.invoice == invoice.id)
        .scalar()
    )
    lines = list(InvoiceLine.select().where(InvoiceLine.invoice == invoice.id).order_by(InvoiceLine.position))
    taken = dict(
        CreditNoteLine.select(CreditNoteLine.invoice_line, fn.SUM(CreditNoteLine.quantity_milli))
        .join(CreditNote)
        .where((CreditNote.invoice == invoice.id) & CreditNoteLine.invoice_line.is_null(False))
        .group_by(CreditNoteLine.invoice_line)
        .tuples()
    )
    by_amount = (
        CreditNoteLine.select()
        .join(CreditNote)
        .where((CreditNote.invoice == invoice.id) & CreditNoteLine.invoice_line.is_null())
        .exists()
    )
    return Left(
        invoice.total_cents - int(credited or 0),
        {line.id: line.quantity_milli - int(taken.get(line.id, 0)) for line in lines},
        by_amount,
    )


def _lines_by_quantity(invoice, quantities, left):
    lines = {line.id: line for line in InvoiceLine.select().where(InvoiceLine.invoice == invoice.id)}
    found = []
    for line_id, quantity in sorted(
        quantities.items(), key=lambda item: lines[item[0]].position if item[0] in lines else 0
    ):
        if not quantity:
            continue
        line = lines.get(line_id)
        if line is None:
            raise Refused("Cette ligne n'est pas une ligne de la facture.")
        if quantity < 0 or quantity > left.quantities[line_id]:
            raise Refused(f"« {line.description} » : la quantité à créditer dépasse celle qui reste sur la facture.")
        found.append(
            (
                line.id,
                Line(
                    line.description,
                    quantity,
                    vat_rate_bp=line.vat_rate_bp,
                    unit_price_e4=line.price_e4,
                    unit=line.unit,
                ),
            )
        )
    return found


def _lines_by_amount(invoice, amount_cents, vat_rate_bp):
    """The TTC amount shared between the invoice's VAT rates as they weigh in it, each split into HT and VAT."""
    weights = {}
    for line in InvoiceLine.select().where(InvoiceLine.invoice == invoice.id):
        weights[line.vat_rate_bp] = weights.get(line.vat_rate_bp, 0) + line.total_ht_cents + line.total_vat_cents
    weights = {rate: cents for rate, cents in weights.items() if cents > 0} or {vat_rate_bp: 1}
    whole, rates, found, given = sum(weights.values()), sorted(weights), [], 0
    for n, rate in enumerate(rates):
        part = amount_cents - given if n == len(rates) - 1 else round_div(amount_cents * weights[rate], whole)
        given += part
        ht = round_div(part * 10000, 10000 + rate)
        label = f"Correction de la facture {invoice.number}" + (
            f" (TVA {rate / 100:g} %)".replace(".", ",") if len(rates) > 1 else ""
        )
        line = Line(label, 1000, vat_rate_bp=rate, unit_price_e4=ht * 100)
        if line.total_ht_cents + line.total_vat_cents != part:  # HT rounded down by a cent: VAT carries it
            line = _ExactLine(label, 1000, vat_rate_bp=rate, unit_price_e4=ht * 100, vat_cents=part - ht)
        if part:
            found.append((None, line))
    return found


@dataclass
class _ExactLine(Line):
    """A line whose VAT is fixed so that HT + VAT is exactly the TTC amount credited."""

    vat_cents: int = 0

    @property
    def total_vat_cents(self):
        return self.vat_cents


def issue_credit_note(user, invoice, reason, quantities=None, amount_cents=None, vat_rate_bp=2000, on=None, ip=""):
    """Credit an issued invoice, numbered AV<year>/NNNNN; returns the CreditNote.

    `quantities` ({invoice line id: thousandths}) credits by line; `amount_cents` (TTC) by amount; neither
    credits everything still left (line by line when nothing was credited by amount before). `vat_rate_bp`
    is the rate of an amount credited on an invoice without lines (one imported as a total)."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Indiquez le motif de l'avoir.")
    on = on or paris_today()
    invoice_id = getattr(invoice, "id", invoice)
    with write_locked(Invoice.select().where(Invoice.id == invoice_id)):
        invoice = Invoice.get_by_id(invoice_id)
        if invoice.is_draft:
            raise Refused("Un brouillon ne se corrige pas par un avoir : modifiez-le ou supprimez-le.")
        left = left_to_credit(invoice)
        if left.cents <= 0:
            raise Refused(f"La facture {invoice.number} est déjà entièrement créditée.")
        if quantities:
            lines = _lines_by_quantity(invoice, quantities, left)
        elif amount_cents is not None:
            if amount_cents <= 0:
                raise Refused("Le montant de l'avoir doit être supérieur à zéro.")
            lines = _lines_by_amount(invoice, amount_cents, vat_rate_bp)
        elif left.quantities and not left.by_amount_before and any(left.quantities.values()):
            lines = _lines_by_quantity(invoice, {k: v for k, v in left.quantities.items() if v > 0}, left)
        else:
            lines = _lines_by_amount(invoice, left.cents, vat_rate_bp)
        total = sum(line.total_ht_cents + line.total_vat_cents for _, line in lines)
        if total <= 0:
            raise Refused("Choisissez au moins une ligne ou un montant à créditer.")
        if total > left.cents:
            raise Refused(f"L'avoir dépasse ce qui reste à créditer sur la facture ({euros(left.cents)}).")
        number = numbering.take_next(CreditNote, invoice.port_id, numbering.credit_note_series(on))
        payment = Payment.create(
            invoice=invoice,
            method=CREDIT_NOTE,
            amount_cents=total,
            received_on=on,
            reference=f"Avoir {number}",
            recorded_by=getattr(user, "id", None),
        )
        note = CreditNote.create(
            port=invoice.port_id,
            customer=invoice.customer_id,
            invoice=invoice,
            number=number,
            series=numbering.credit_note_series(on),
            issued_on=on,
            issued_at=utcnow(),
            reason=reason,
            total_cents=total,
            payment=payment,
            created_by=getattr(user, "id", None),
        )
        for position, (line_id, line) in enumerate(lines, start=1):
            CreditNoteLine.create(
                credit_note=note,
                invoice_line=line_id,
                position=position,
                description=line.description,
                quantity_milli=line.quantity_milli,
                unit_price_e4=line.unit_price_e4,
                vat_rate_bp=line.vat_rate_bp,
                total_ht_cents=line.total_ht_cents,
                total_vat_cents=line.total_vat_cents,
                unit=line.unit,
            )
        audit.record(user, "credit_note.issue", note, None, dict(audit.snapshot(note, FIELDS), lines=len(lines)), ip)
    refresh_pdfs_soon(invoice.id)
    return note
