"""Invoices with lines and VAT: drafts, issuing (the number is given then), and payments received at the
harbour office (never deleted, only cancelled). An issued invoice never changes: a credit note corrects it."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from peewee import IntegrityError, chunked

from marina_portal.billing import absence_credits, legal, numbering
from marina_portal.billing.methods import METHOD_LABELS, OFFICE_METHODS, REFUND  # noqa: F401 (their home before)
from marina_portal.billing.statement import refresh_pdfs_soon
from marina_portal.core import audit
from marina_portal.core.db import database, write_locked
from marina_portal.core.formats import euros, paris_today
from marina_portal.core.refusals import Refusal
from marina_portal.models import (
    AttemptStatus,
    Contract,
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAttempt,
    Port,
    User,
    utcnow,
)

PAYMENT_FIELDS = ("invoice", "method", "amount_cents", "received_on", "reference", "cancelled_at", "cancel_reason")


class Refused(Refusal):
    """A change the harbour office asked for that can't be made, with the words to show."""


@dataclass
class Line:
    """An invoice line: quantity in thousandths, unit price HT in cents or, exactly, in 1/10000 € (`unit_price_e4`).

    Its totals are cents, rounded on the line (half away from zero), then summed."""

    description: str
    quantity_milli: int
    unit_price_cents: int = None
    vat_rate_bp: int = 2000
    unit_price_e4: int = None
    unit: str = ""

    def __post_init__(self):
        if self.unit_price_e4 is None:
            self.unit_price_e4 = self.unit_price_cents * 100
        self.unit_price_cents = round_div(self.unit_price_e4, 100)

    @property
    def total_ht_cents(self):
        return round_div(self.quantity_milli * self.unit_price_e4, 100_000)

    @property
    def total_vat_cents(self):
        return round_div(self.total_ht_cents * self.vat_rate_bp, 10000)


def round_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero, so cents never drift through floats."""
    sign = -1 if numerator < 0 else 1
    quotient, rest = divmod(abs(numerator), denominator)
    return sign * (quotient + (1 if rest * 2 >= denominator else 0))


def totals(lines: Iterable[Line]) -> tuple[int, int, int]:
    ht = sum(line.total_ht_cents for line in lines)
    vat = sum(line.total_vat_cents for line in lines)
    return ht, vat, ht + vat


INVOICE_FIELDS = (
    "customer",
    "contract",
    "number",
    "status",
    "issued_on",
    "due_on",
    "label",
    "total_cents",
    "service_from",
    "service_to",
    "payment_schedule",
)


def _check_lines(port, lines):
    if not lines:
        raise Refused("Ajoutez au moins une ligne à la facture.")
    if not legal.charges_vat(port) and any(line.vat_rate_bp for line in lines):
        raise Refused(
            f"{legal.vat_mention(port)} Choisissez 0 % de TVA sur chaque ligne (régime choisi dans Paramètres)."
        )


def _check_period(service_from, service_to):
    if service_from and service_to and service_to < service_from:
        raise Refused("La fin de la période de la prestation précède son début.")


def _write_lines(invoice, lines):
    for position, line in enumerate(lines, start=1):
        InvoiceLine.create(
            invoice=invoice,
            position=position,
            description=line.description,
            quantity_milli=line.quantity_milli,
            unit_price_cents=line.unit_price_cents,
            unit_price_e4=line.unit_price_e4,
            unit=line.unit,
            vat_rate_bp=line.vat_rate_bp,
            total_ht_cents=line.total_ht_cents,
            total_vat_cents=line.total_vat_cents,
        )


def create_invoice(
    user: User | None,
    customer: Customer,
    number: str | None,
    issued_on: dt.date,
    due_on: dt.date | None,
    label: str,
    lines: list[Line],
    ip: str = "",
    contract_id: int | None = None,
    service_from: dt.date | None = None,
    service_to: dt.date | None = None,
) -> Invoice:
    """A new invoice whose total is the sum of its lines, HT plus VAT, in cents.

    Without `number`, a draft (see create_draft). With one, an invoice already numbered by other software
    (typed from paper), recorded as issued with that number."""
    number = (number or "").strip()
    if not number:
        return create_draft(user, customer, label, lines, contract_id, due_on, service_from, service_to, ip, issued_on)
    _check_lines(customer.port, lines)
    _check_period(service_from, service_to)
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
                service_from=service_from,
                service_to=service_to,
            )
            _write_lines(invoice, lines)
            audit.record(
                user,
                "invoice.create",
                invoice,
                None,
                dict(audit.snapshot(invoice, INVOICE_FIELDS), lines=len(lines)),
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


def create_draft(
    user: User | None,
    customer: Customer,
    label: str,
    lines: list[Line],
    contract_id: int | None = None,
    due_on: dt.date | None = None,
    service_from: dt.date | None = None,
    service_to: dt.date | None = None,
    ip: str = "",
    issued_on: dt.date | None = None,
) -> Invoice:
    """A draft invoice: no number, seen by staff only, editable and deletable until `issue` numbers it."""
    _check_lines(customer.port, lines)
    _check_period(service_from, service_to)
    _, _, total = totals(lines)
    with database.atomic():
        invoice = Invoice.create(
            port=customer.port_id,
            customer=customer,
            contract=contract_id,
            number="",
            status=InvoiceStatus.DRAFT,
            issued_on=issued_on or paris_today(),  # the planned date; issuing sets the real one
            due_on=due_on,
            label=(label or "").strip(),
            total_cents=total,
            service_from=service_from,
            service_to=service_to,
        )
        _write_lines(invoice, lines)
        audit.record(
            user, "invoice.draft", invoice, None, dict(audit.snapshot(invoice, INVOICE_FIELDS), lines=len(lines)), ip
        )
    invoice.absence_credit_cents = 0
    return invoice


def _draft_or_refuse(invoice):
    if not invoice.is_draft:
        raise Refused(
            f"La facture {invoice.number} est émise : elle ne se modifie ni ne se supprime. Corrigez-la par un avoir."
        )


def update_draft(
    user: User | None,
    invoice: Invoice,
    label: str,
    lines: list[Line],
    due_on: dt.date | None = None,
    service_from: dt.date | None = None,
    service_to: dt.date | None = None,
    ip: str = "",
) -> Invoice:
    """Replace a draft's label, dates and lines; refused once the invoice is issued."""
    _check_lines(invoice.port, lines)
    _check_period(service_from, service_to)
    with write_locked(Invoice.select().where(Invoice.id == invoice.id)):
        invoice = Invoice.get_by_id(invoice.id)
        _draft_or_refuse(invoice)
        before = audit.snapshot(invoice, INVOICE_FIELDS)
        invoice.label, invoice.due_on = (label or "").strip(), due_on
        invoice.service_from, invoice.service_to = service_from, service_to
        invoice.total_cents = totals(lines)[2]
        invoice.save()
        InvoiceLine.delete().where(InvoiceLine.invoice == invoice.id).execute()
        _write_lines(invoice, lines)
        audit.record(user, "invoice.update_draft", invoice, before, audit.snapshot(invoice, INVOICE_FIELDS), ip)
    return invoice


def delete_draft(user: User | None, invoice: Invoice, ip: str = "") -> None:
    """Delete a draft (it never had a number, so no number is lost); refused once issued."""
    with write_locked(Invoice.select().where(Invoice.id == invoice.id)):
        invoice = Invoice.get_by_id(invoice.id)
        _draft_or_refuse(invoice)
        before = audit.snapshot(invoice, INVOICE_FIELDS)
        InvoiceLine.delete().where(InvoiceLine.invoice == invoice.id).execute()
        invoice.delete_instance()
        audit.record(user, "invoice.delete_draft", ("invoice", invoice.id), before, None, ip)


def issue(invoice: Invoice, user: User | None = None, on: dt.date | None = None, ip: str = "") -> Invoice:
    """Issue a draft: it takes the next number of its year's series, dated `on` (today, Europe/Paris), due
    after the port's payment days unless it names a later due date. Returns the issued invoice.

    Numbers are gapless: the number is taken under the series' lock in the transaction that writes it.
    Call it on its own, or inside a transaction that began with core.db.write_locked (SQLite)."""
    invoice_id = getattr(invoice, "id", invoice)
    on = on or paris_today()
    with write_locked(Invoice.select().where(Invoice.id == invoice_id)):
        invoice = Invoice.get_or_none(Invoice.id == invoice_id)
        if invoice is None:
            raise Refused("Cette facture n'existe pas.")
        _draft_or_refuse(invoice)
        port = Port.get_by_id(invoice.port_id)
        missing = legal.missing_identity(port)
        if missing:
            raise Refused("Avant d'émettre une facture, renseignez dans Paramètres : " + ", ".join(missing) + ".")
        if not invoice.lines.exists():
            raise Refused("Ajoutez au moins une ligne à la facture.")
        before = audit.snapshot(invoice, INVOICE_FIELDS)
        series = numbering.invoice_series(on)
        invoice.number = numbering.take_next(Invoice, invoice.port_id, series)
        invoice.series, invoice.status = series, InvoiceStatus.ISSUED
        invoice.issued_on, invoice.issued_at = on, utcnow()
        if invoice.due_on is None or invoice.due_on < on:
            invoice.due_on = on + dt.timedelta(days=max(0, port.payment_days))
        if invoice.contract_id:
            if invoice.service_from is None:
                invoice.service_from, invoice.service_to = invoice.contract.starts_on, invoice.contract.ends_on
            invoice.payment_schedule = invoice.contract.payment_schedule  # kept as issued, whatever comes later
        invoice.save()
        audit.record(user, "invoice.issue", invoice, before, audit.snapshot(invoice, INVOICE_FIELDS), ip)
        invoice.absence_credit_cents = sum(
            p.amount_cents
            for p in absence_credits.apply([invoice.customer_id], user, ip, today=on)
            if p.invoice_id == invoice.id
        )
    refresh_pdfs_soon(invoice.id)
    return invoice


def invoice_with_paid(invoice_id: int) -> Invoice | None:
    return Invoice.with_paid().where(Invoice.id == invoice_id).first()


def card_under_way(invoice_id: int) -> PaymentAttempt | None:
    """The boater's card payment started within the hour and not yet confirmed by the bank, if any."""
    return (
        PaymentAttempt.select()
        .where(
            (PaymentAttempt.invoice == invoice_id)
            & (PaymentAttempt.status == AttemptStatus.PENDING)
            & (PaymentAttempt.created_at > utcnow() - absence_credits.CARD_WINDOW)
        )
        .order_by(PaymentAttempt.created_at.desc())
        .first()
    )


def issue_many(
    invoice_ids: Iterable[int | Invoice], user: User | None = None, on: dt.date | None = None, ip: str = ""
) -> dict[int, str]:
    """Issue many drafts of one port at once (the yearly run), numbered in the order given, in one transaction
    and under one lock; invoices already issued are skipped, so a second run issues nothing more.

    Returns {invoice id: number} of those it issued. Same rules as `issue`, one audit entry for the batch."""
    on = on or paris_today()
    order = list(dict.fromkeys(getattr(i, "id", i) for i in invoice_ids))
    if not order:
        return {}
    with write_locked(Invoice.select().where(Invoice.id.in_(order)).order_by(Invoice.id)):
        drafts = {
            i.id: i for i in Invoice.select().where(Invoice.id.in_(order) & (Invoice.status == InvoiceStatus.DRAFT))
        }
        if not drafts:
            return {}
        ports = {invoice.port_id for invoice in drafts.values()}
        if len(ports) != 1:
            raise Refused("Les factures à émettre ensemble doivent être du même port.")
        port = Port.get_by_id(ports.pop())
        missing = legal.missing_identity(port)
        if missing:
            raise Refused("Avant d'émettre une facture, renseignez dans Paramètres : " + ", ".join(missing) + ".")
        with_lines = {
            i
            for (i,) in InvoiceLine.select(InvoiceLine.invoice)
            .where(InvoiceLine.invoice.in_(list(drafts)))
            .distinct()
            .tuples()
        }
        if set(drafts) - with_lines:
            raise Refused("Ajoutez au moins une ligne à chaque facture.")
        contracts = {
            c.id: c
            for c in Contract.select().where(Contract.id.in_({i.contract_id for i in drafts.values() if i.contract_id}))
        }
        series = numbering.invoice_series(on)
        ids = [i for i in order if i in drafts]
        now, due = utcnow(), on + dt.timedelta(days=max(0, port.payment_days))
        for invoice_id, number in zip(ids, numbering.take_many(Invoice, port.id, series, len(ids))):
            invoice = drafts[invoice_id]
            invoice.number, invoice.series, invoice.status = number, series, InvoiceStatus.ISSUED
            invoice.issued_on, invoice.issued_at = on, now
            if invoice.due_on is None or invoice.due_on < on:
                invoice.due_on = due
            if invoice.contract_id in contracts:
                contract = contracts[invoice.contract_id]
                if invoice.service_from is None:
                    invoice.service_from, invoice.service_to = contract.starts_on, contract.ends_on
                invoice.payment_schedule = contract.payment_schedule
        fields = [
            Invoice.number,
            Invoice.series,
            Invoice.status,
            Invoice.issued_on,
            Invoice.issued_at,
            Invoice.due_on,
            Invoice.payment_schedule,
        ]
        Invoice.bulk_update([drafts[i] for i in ids], fields, batch_size=300)
        # The service period by groups of equal periods (a contract season each): bulk_update's CASE would send
        # a missing date as text, which PostgreSQL refuses for a date column.
        periods = {}
        for i in ids:
            periods.setdefault((drafts[i].service_from, drafts[i].service_to), []).append(i)
        for (service_from, service_to), group in periods.items():
            for part in chunked(group, 300):
                Invoice.update(service_from=service_from, service_to=service_to).where(Invoice.id.in_(part)).execute()
        numbers = {i: drafts[i].number for i in ids}
        audit.record(
            user,
            "invoice.issue_many",
            ("invoice", None),
            None,
            {"count": len(ids), "first": numbers[ids[0]], "last": numbers[ids[-1]], "issued_on": on.isoformat()},
            ip,
        )
        absence_credits.apply({drafts[i].customer_id for i in ids}, user, ip, today=on)
    refresh_pdfs_soon(*ids)
    return numbers


def record_payment(
    user: User | None,
    invoice_id: int,
    method: str,
    amount_cents: int,
    received_on: dt.date,
    reference: str = "",
    ip: str = "",
) -> Payment:
    """A cheque, transfer or cash received for an invoice; it may not exceed what is still due."""
    if method not in OFFICE_METHODS:
        raise Refused("Choisissez le mode de règlement : chèque, virement ou espèces.")
    if not amount_cents or amount_cents <= 0:
        raise Refused("Le montant doit être supérieur à zéro.")
    with database.atomic():
        invoice = invoice_with_paid(invoice_id)
        if invoice.is_draft:
            raise Refused("Cette facture est un brouillon : émettez-la avant d'enregistrer un règlement.")
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


def cancel_payment(user: User, payment: Payment, reason: str, ip: str = "") -> Payment:
    """Mark a payment as cancelled with its reason; the row stays, the balance comes back."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Indiquez le motif de l'annulation.")
    if payment.cancelled_at is not None:
        raise Refused("Ce règlement est déjà annulé.")
    if CreditNote.select().where(CreditNote.payment == payment.id).exists():
        raise Refused("Un avoir émis ne s'annule pas : il reste imputé sur sa facture.")
    with database.atomic():
        before = audit.snapshot(payment, PAYMENT_FIELDS)
        payment.cancelled_at = utcnow()
        payment.cancelled_by = getattr(user, "id", None)
        payment.cancel_reason = reason
        payment.save()
        audit.record(user, "payment.cancel", payment, before, audit.snapshot(payment, PAYMENT_FIELDS), ip)
    refresh_pdfs_soon(payment.invoice_id)
    return payment


def record_refund(
    user: User | None, invoice_id: int, amount_cents: int, paid_on: dt.date, reference: str = "", ip: str = ""
) -> Payment:
    """Money paid back to the customer when credit notes (or a double payment) left the balance below zero.

    Recorded as a payment of negative amount, at most what is owed back."""
    if not amount_cents or amount_cents <= 0:
        raise Refused("Le montant doit être supérieur à zéro.")
    with write_locked(Invoice.select().where(Invoice.id == invoice_id)):
        invoice = invoice_with_paid(invoice_id)
        if invoice.balance_cents >= 0:
            raise Refused("Cette facture ne laisse rien à rembourser.")
        if amount_cents > -invoice.balance_cents:
            raise Refused(f"Le remboursement dépasse ce qui est dû au client ({euros(-invoice.balance_cents)}).")
        payment = Payment.create(
            invoice=invoice,
            method=REFUND,
            amount_cents=-amount_cents,
            received_on=paid_on,
            reference=(reference or "").strip(),
            recorded_by=getattr(user, "id", None),
        )
        audit.record(user, "payment.refund", payment, None, audit.snapshot(payment, PAYMENT_FIELDS), ip)
    refresh_pdfs_soon(invoice.id)
    return payment


def received_between(port: Port | int, start: dt.date, end: dt.date, method: str = "") -> tuple[list[Payment], int]:
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


def append_to_draft(user: User | None, invoice: Invoice, lines: list[Line], ip: str = "") -> list[InvoiceLine]:
    """Add lines at the end of a draft (energy consumed, for instance); returns the InvoiceLine rows written.

    The draft's earlier lines keep their rows (other records may point at them); refused once issued."""
    with write_locked(Invoice.select().where(Invoice.id == invoice.id)):
        invoice = Invoice.get_by_id(invoice.id)
        _draft_or_refuse(invoice)
        _check_lines(invoice.port, lines)
        before = audit.snapshot(invoice, INVOICE_FIELDS)
        start = invoice.lines.count()
        written = []
        for position, line in enumerate(lines, start=start + 1):
            written.append(
                InvoiceLine.create(
                    invoice=invoice,
                    position=position,
                    description=line.description,
                    quantity_milli=line.quantity_milli,
                    unit_price_cents=line.unit_price_cents,
                    unit_price_e4=line.unit_price_e4,
                    unit=line.unit,
                    vat_rate_bp=line.vat_rate_bp,
                    total_ht_cents=line.total_ht_cents,
                    total_vat_cents=line.total_vat_cents,
                )
            )
        invoice.total_cents = sum(il.total_ht_cents + il.total_vat_cents for il in invoice.lines)
        invoice.save()
        audit.record(user, "invoice.append_lines", invoice, before, audit.snapshot(invoice, INVOICE_FIELDS), ip)
    return written
