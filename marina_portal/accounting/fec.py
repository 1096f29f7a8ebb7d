"""The FEC (fichier des écritures comptables, article A47 A-1 of the Livre des procédures fiscales).

Entries, every one balanced, for a period:
- VE (ventes): each issued invoice debits the customer (411, with the customer as auxiliary account) and
  credits sales per berth category (HT) and VAT collected per rate; each credit note does the opposite.
  A visitor's stay paid by card is a cash sale: booked on the day the bank accepted the payment, under its
  invoice's number once issued, else under « ESCALE-<stay> » (a port whose legal identity is incomplete keeps
  the invoice a draft; the sale and its VAT still belong to that day, and issuing it later moves nothing).
- BQ (banque): each payment received debits the bank, the cheques to deposit or the cash account and
  credits the customer; a cancelled payment is reversed on the day it was cancelled; a refund debits the
  customer and credits the bank; a cheque deposit slip moves its total from cheques to deposit to the bank.
- OD (opérations diverses): an absence credit deducted debits rebates granted and credits the customer.
A credit note's own settlement of its invoice (method "credit") is the credit note's entry, not a payment.
Tab-separated, header first, amounts with a decimal comma, dates AAAAMMJJ; numbered in date order.
"""

import datetime as dt
from dataclasses import dataclass, field

from peewee import JOIN, fn

from marina_portal.accounting.chart import Chart
from marina_portal.core.formats import paris_date
from marina_portal.models import (
    Berth,
    ChequeDeposit,
    Contract,
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    VisitorStay,
    VisitorStayStatus,
)

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
JOURNALS = {"VE": "Ventes", "BQ": "Banque", "OD": "Opérations diverses"}
METHOD_WORDS = {
    "cheque": "Chèque",
    "transfer": "Virement",
    "cash": "Espèces",
    "card": "Carte bancaire",
    "direct_debit": "Prélèvement",
    "absence_credit": "Crédit absence",
    "refund": "Remboursement",
}


@dataclass
class Entry:
    journal: str
    date: dt.date
    piece_ref: str
    label: str
    valid_date: dt.date
    order: tuple = ()
    lines: list = field(default_factory=list)  # (account, aux_num, aux_lib, debit, credit)

    def add(self, account, debit=0, credit=0, aux=("", "")):
        if debit or credit:
            self.lines.append((account, aux[0], aux[1], debit, credit))

    @property
    def balanced(self):
        return sum(line[3] for line in self.lines) == sum(line[4] for line in self.lines)


def _aux(code, customer_id, last_name, first_name, company_name=""):
    name = company_name or f"{last_name} {first_name}".strip()
    return (code or f"C{customer_id:06d}", name)


def _visitor_sales(port, start, end):
    """{invoice id: (day paid, stay id)} of the visitors' stays paid in the period (Paris days)."""
    utc_from = dt.datetime.combine(start, dt.time()) - dt.timedelta(days=1)
    utc_to = dt.datetime.combine(end, dt.time()) + dt.timedelta(days=2)
    found = {}
    for stay_id, invoice_id, paid_at in (
        VisitorStay.select(VisitorStay.id, VisitorStay.invoice, VisitorStay.paid_at)
        .where(
            (VisitorStay.port == port)
            & (VisitorStay.status == VisitorStayStatus.PAID)
            & VisitorStay.invoice.is_null(False)
            & VisitorStay.paid_at.between(utc_from, utc_to)
        )
        .tuples()
    ):
        day = paris_date(paid_at)
        if start <= day <= end:
            found[invoice_id] = (day, stay_id)
    return found


def _sales_entries(port, start, end, chart):
    """Invoices issued in the period, visitors' stays paid in it, and credit notes, with their HT and VAT per
    rate (three queries each)."""
    visitors = _visitor_sales(port, start, end)
    paid_stays = VisitorStay.select(VisitorStay.invoice).where(
        (VisitorStay.port == port) & (VisitorStay.status == VisitorStayStatus.PAID) & VisitorStay.invoice.is_null(False)
    )
    issued = (
        (Invoice.status == InvoiceStatus.ISSUED)
        & (Invoice.number != "")
        & Invoice.issued_on.between(start, end)
        & Invoice.id.not_in(paid_stays)
    )
    invoice_filter = (Invoice.port == port) & (issued | Invoice.id.in_(list(visitors) or [0]))
    by_rate = _by_rate(InvoiceLine, InvoiceLine.invoice, Invoice, invoice_filter)
    rows = (
        Invoice.select(
            Invoice.id,
            Invoice.number,
            Invoice.issued_on,
            Invoice.issued_at,
            Invoice.created_at,
            Invoice.total_cents,
            Customer.id,
            Customer.code,
            Customer.last_name,
            Customer.first_name,
            Customer.company_name,
            Berth.category,
        )
        .join(Customer)
        .switch(Invoice)
        .join(Contract, JOIN.LEFT_OUTER)
        .join(Berth, JOIN.LEFT_OUTER)
        .where(invoice_filter)
        .tuples()
    )
    customers_account = chart.get("customers")
    for invoice_id, number, issued_on, issued_at, created_at, total, cid, code, last, first, company, category in rows:
        day, stay_id = visitors.get(invoice_id, (issued_on, None))
        piece = number or f"ESCALE-{stay_id}"
        label = f"Facture {number}" if number else f"Escale {stay_id} payée (facture à émettre)"
        entry = Entry("VE", day, piece, label, paris_date(issued_at or created_at) or day, (0, invoice_id))
        aux = _aux(code, cid, last, first, company)
        entry.add(customers_account, debit=total, aux=aux)
        _credit_sales(entry, chart, category, by_rate.get(invoice_id, []), total, credit=True)
        if entry.lines:
            yield entry

    note_filter = (CreditNote.port == port) & CreditNote.issued_on.between(start, end)
    note_rates = _by_rate(CreditNoteLine, CreditNoteLine.credit_note, CreditNote, note_filter)
    notes = (
        CreditNote.select(
            CreditNote.id,
            CreditNote.number,
            CreditNote.issued_on,
            CreditNote.issued_at,
            CreditNote.total_cents,
            Invoice.number,
            Customer.id,
            Customer.code,
            Customer.last_name,
            Customer.first_name,
            Customer.company_name,
            Berth.category,
        )
        .join(Invoice)
        .join(Contract, JOIN.LEFT_OUTER)
        .join(Berth, JOIN.LEFT_OUTER)
        .switch(CreditNote)
        .join(Customer)
        .where(note_filter)
        .tuples()
    )
    for (
        note_id,
        number,
        issued_on,
        issued_at,
        total,
        invoice_number,
        cid,
        code,
        last,
        first,
        company,
        category,
    ) in notes:
        entry = Entry(
            "VE",
            issued_on,
            number,
            f"Avoir {number} sur facture {invoice_number}",
            paris_date(issued_at) or issued_on,
            (1, note_id),
        )
        entry.add(customers_account, credit=total, aux=_aux(code, cid, last, first, company))
        _credit_sales(entry, chart, category, note_rates.get(note_id, []), total, credit=False)
        if entry.lines:
            yield entry


def _credit_sales(entry, chart, category, rates, total, credit):
    """Sales HT on the category's account and VAT per rate; whatever the lines leave of the total goes to sales."""
    vat_total = 0
    for rate, _, vat in sorted(rates):
        vat_total += vat
        if credit:
            entry.add(chart.get("vat", rate), credit=vat)
        else:
            entry.add(chart.get("vat", rate), debit=vat)
    sales = total - vat_total
    account = chart.get("sales", category or "")
    if credit:
        entry.add(account, credit=sales)
    else:
        entry.add(account, debit=sales)


def _payment_entries(port, start, end, chart):
    """Payments received in the period, and the reversal of those cancelled in it (one query)."""
    # A payment cancelled in the period was maybe received before it: reach it by its cancellation too.
    utc_from = dt.datetime.combine(start, dt.time()) - dt.timedelta(days=1)
    utc_to = dt.datetime.combine(end, dt.time()) + dt.timedelta(days=2)
    rows = (
        Payment.select(
            Payment.id,
            Payment.method,
            Payment.amount_cents,
            Payment.received_on,
            Payment.reference,
            Payment.created_at,
            Payment.cancelled_at,
            Invoice.number,
            Customer.id,
            Customer.code,
            Customer.last_name,
            Customer.first_name,
            Customer.company_name,
        )
        .join(Invoice)
        .join(Customer)
        .where(
            (Invoice.port == port)
            & (Payment.method != "credit")
            & (Payment.received_on.between(start, end) | Payment.cancelled_at.between(utc_from, utc_to))
        )
        .tuples()
    )
    customers_account = chart.get("customers")
    for (
        pid,
        method,
        amount,
        received_on,
        reference,
        created_at,
        cancelled_at,
        number,
        cid,
        code,
        last,
        first,
        company,
    ) in rows:
        aux = _aux(code, cid, last, first, company)
        journal = "OD" if method == "absence_credit" else "BQ"
        account = chart.for_payment(method)
        words = METHOD_WORDS.get(method, method)
        piece = f"R{pid:07d}"
        if start <= received_on <= end:
            entry = Entry(
                journal,
                received_on,
                piece,
                f"{words} facture {number} {reference}".strip(),
                paris_date(created_at) or received_on,
                (2, pid),
            )
            _move(entry, account, customers_account, amount, aux)
            yield entry
        cancelled_on = paris_date(cancelled_at)
        if cancelled_on and start <= cancelled_on <= end:
            entry = Entry(
                journal, cancelled_on, piece, f"Annulation {words.lower()} facture {number}", cancelled_on, (3, pid)
            )
            _move(entry, account, customers_account, -amount, aux)
            yield entry


def _move(entry, money_account, customers_account, amount, aux):
    """Money in (amount > 0): debit the money account, credit the customer; money out the other way round."""
    if amount >= 0:
        entry.add(money_account, debit=amount)
        entry.add(customers_account, credit=amount, aux=aux)
    else:
        entry.add(customers_account, debit=-amount, aux=aux)
        entry.add(money_account, credit=-amount)


def _deposit_entries(port, start, end, chart):
    for deposit in ChequeDeposit.select().where(
        (ChequeDeposit.port == port) & ChequeDeposit.deposited_on.between(start, end)
    ):
        entry = Entry(
            "BQ",
            deposit.deposited_on,
            f"REM{deposit.id:06d}",
            f"Remise de chèques n° {deposit.id}",
            paris_date(deposit.created_at) or deposit.deposited_on,
            (4, deposit.id),
        )
        entry.add(chart.get("bank"), debit=deposit.total_cents)
        entry.add(chart.get("cheques"), credit=deposit.total_cents)
        if entry.lines:
            yield entry


def entries(port, start, end):
    """Every entry of the period in date order, each numbered (EcritureNum) from 1."""
    chart = Chart(port)
    found = [
        *_sales_entries(port, start, end, chart),
        *_payment_entries(port, start, end, chart),
        *_deposit_entries(port, start, end, chart),
    ]
    found.sort(key=lambda e: (e.date, e.order))
    return found


def _amount(cents):
    return f"{cents // 100},{cents % 100:02d}"


def _date(day):
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _clean(text):
    return " ".join(str(text or "").split())


def lines(port, start, end):
    """The file's lines, header first (no line ends)."""
    yield "\t".join(COLUMNS)
    for number, entry in enumerate(entries(port, start, end), start=1):
        head = (entry.journal, JOURNALS[entry.journal], str(number), _date(entry.date))
        piece = (_clean(entry.piece_ref), _date(entry.date), _clean(entry.label))
        tail = ("", "", _date(max(entry.valid_date, entry.date)), "", "")
        for account, aux_num, aux_lib, debit, credit in entry.lines:
            yield "\t".join(
                (
                    *head,
                    account.number,
                    _clean(account.label),
                    _clean(aux_num),
                    _clean(aux_lib),
                    *piece,
                    _amount(debit),
                    _amount(credit),
                    *tail,
                )
            )


def write(port, start, end, out):
    """Write the FEC to a text file opened for writing; returns the number of lines after the header."""
    count = -1
    for line in lines(port, start, end):
        out.write(line + "\n")
        count += 1
    return count


def file_name(port, end):
    """The name the administration expects: SIREN, "FEC", the closing date."""
    return f"{(port.siren or port.code)}FEC{_date(end)}.txt"


def _by_rate(line_model, parent, parent_model, where):
    """{document id: [(VAT rate, HT, VAT)]} of the documents selected, summed per rate in one query."""
    found = {}
    for document_id, rate, ht, vat in (
        line_model.select(
            parent, line_model.vat_rate_bp, fn.SUM(line_model.total_ht_cents), fn.SUM(line_model.total_vat_cents)
        )
        .join(parent_model)
        .where(where)
        .group_by(parent, line_model.vat_rate_bp)
        .tuples()
    ):
        found.setdefault(document_id, []).append((rate, int(ht), int(vat)))
    return found
