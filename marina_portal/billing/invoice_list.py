"""The harbour office's list of invoices: filters, sort, the selection's totals and its CSV, in fixed queries.

A page costs three queries whatever the number of invoices: its rows (with what is paid and whether a credit
note exists, as correlated subqueries), the totals of the whole selection, and the categories offered.
"""

import datetime as dt
import io
from dataclasses import dataclass

from peewee import JOIN, SQL, fn

from marina_portal.billing import schedules
from marina_portal.core import csvfiles
from marina_portal.core.formats import fr_date, parse_french_date
from marina_portal.models import Contract, CreditNote, Customer, Invoice, InvoiceStatus, Payment

PAGE_SIZE = 50
STATES = {
    "": "Toutes (émises)",
    "unpaid": "Impayées",
    "overdue": "En retard",
    "paid": "Réglées",
    "credit_noted": "Avec avoir",
    "draft": "Brouillons",
}
SORTS = {
    "date": "Date",
    "number": "N° Facture",
    "due": "Échéance",
    "customer": "Client",
    "total": "Montant T.T.C",
    "balance": "Solde",
}
NO_CONTRACT = "-"  # the category of invoices without a contract (services, visitors)


@dataclass
class Filters:
    state: str = ""
    start: dt.date = None
    end: dt.date = None
    category: str = ""  # a contract type, or NO_CONTRACT
    customer: str = ""  # name, company or customer code, in part
    sort: str = "date"
    descending: bool = True
    page: int = 1

    @classmethod
    def from_args(cls, args):
        """From the page's query string (a mapping); anything unreadable falls back to no filter."""
        state = args.get("state", "")
        sort = args.get("sort", "date")
        try:
            page = max(1, int(args.get("page", 1)))
        except (TypeError, ValueError):
            page = 1
        return cls(
            state=state if state in STATES else "",
            start=parse_french_date(args.get("from", "")),
            end=parse_french_date(args.get("to", "")),
            category=(args.get("category") or "").strip()[:60],
            customer=(args.get("customer") or "").strip()[:100],
            sort=sort if sort in SORTS else "date",
            descending=args.get("order", "desc") != "asc",
            page=page,
        )

    def args(self, **changes):
        """The query string of these filters (with changes), for links: sort headers, pages, CSV."""
        values = dict(self.__dict__, **changes)
        found = {
            "state": values["state"],
            "from": values["start"].isoformat() if values["start"] else "",
            "to": values["end"].isoformat() if values["end"] else "",
            "category": values["category"],
            "customer": values["customer"],
            "sort": values["sort"] if values["sort"] != "date" else "",
            "order": "" if values["descending"] else "asc",
            "page": values["page"] if values["page"] != 1 else "",
        }
        return {key: value for key, value in found.items() if value}


def _paid():
    PaymentAlias = Payment.alias()
    return PaymentAlias.select(fn.COALESCE(fn.SUM(PaymentAlias.amount_cents), 0)).where(
        (PaymentAlias.invoice == Invoice.id) & PaymentAlias.cancelled_at.is_null()
    )


def _credited():
    return fn.EXISTS(CreditNote.select(SQL("1")).where(CreditNote.invoice == Invoice.id))


def _where(port, filters, today):
    balance = Invoice.total_cents - _paid()
    condition = Invoice.port == port
    condition &= (
        (Invoice.status == InvoiceStatus.DRAFT)
        if filters.state == "draft"
        else (Invoice.status == InvoiceStatus.ISSUED)
    )
    if filters.state == "unpaid":
        condition &= balance > 0
    elif filters.state == "overdue":  # in instalments: one fallen due and not paid
        yesterday = today - dt.timedelta(days=1)
        fallen = schedules.fallen_due_sql(yesterday, Invoice.due_on, Invoice.total_cents, Invoice.payment_schedule)
        condition &= (balance > 0) & (_paid() < fallen)
    elif filters.state == "paid":
        condition &= balance <= 0
    elif filters.state == "credit_noted":
        condition &= _credited()
    if filters.start:
        condition &= Invoice.issued_on >= filters.start
    if filters.end:
        condition &= Invoice.issued_on <= filters.end
    if filters.category == NO_CONTRACT:
        condition &= Invoice.contract.is_null()
    elif filters.category:
        condition &= Contract.contract_type == filters.category
    if filters.customer:
        text = filters.customer
        full = Customer.last_name.concat(" ").concat(Customer.first_name)
        condition &= (
            full.contains(text)
            | Customer.company_name.contains(text)
            | (Customer.code == text)
            | (Invoice.number == text)
        )
    return condition


def _joined(query):
    return query.join(Customer, on=(Invoice.customer == Customer.id)).join(
        Contract, JOIN.LEFT_OUTER, on=(Invoice.contract == Contract.id)
    )


def _rows(port, filters, today):
    paid = _paid()
    balance = Invoice.total_cents - paid
    order = {
        "date": [Invoice.issued_on, Invoice.number],
        "number": [Invoice.number],
        "due": [Invoice.due_on, Invoice.number],
        "customer": [Customer.last_name, Customer.first_name, Invoice.issued_on],
        "total": [Invoice.total_cents, Invoice.number],
        "balance": [balance, Invoice.number],
    }[filters.sort]
    order = [column.desc() if filters.descending else column.asc() for column in order] + [Invoice.id]
    return (
        _joined(
            Invoice.select(Invoice, Customer, Contract, paid.alias("paid_cents"), _credited().alias("has_credit_note"))
        )
        .where(_where(port, filters, today))
        .order_by(*order)
    )


@dataclass
class Totals:
    count: int
    total_cents: int
    paid_cents: int

    @property
    def balance_cents(self):
        return self.total_cents - self.paid_cents


def totals(port, filters, today):
    """Count, TTC, paid and balance of the whole selection (all pages), in one query."""
    inner = _joined(
        Invoice.select(Invoice.total_cents.alias("total"), _paid().alias("paid")).where(_where(port, filters, today))
    ).alias("selection")
    row = (
        Invoice.select(
            fn.COUNT(SQL("*")),
            fn.COALESCE(fn.SUM(inner.c.total), 0),
            fn.COALESCE(fn.SUM(inner.c.paid), 0),
        )
        .from_(inner)
        .tuples()
        .get()
    )
    return Totals(int(row[0]), int(row[1]), int(row[2]))


def categories(port):
    """The contract types that invoices of the port carry, for the category filter."""
    rows = (
        Contract.select(Contract.contract_type)
        .join(Invoice, on=(Invoice.contract == Contract.id))
        .where(Invoice.port == port)
        .distinct()
        .order_by(Contract.contract_type)
        .tuples()
    )
    return [kind for (kind,) in rows]


def page(port, filters, today):
    """(rows of the page, totals of the selection, number of pages)."""
    found = totals(port, filters, today)
    pages = max(1, -(-found.count // PAGE_SIZE))
    filters.page = min(filters.page, pages)
    return list(_rows(port, filters, today).paginate(filters.page, PAGE_SIZE)), found, pages


def state_of(invoice, today):
    """The invoice's state in words, as the list shows it."""
    if invoice.is_draft:
        return "Brouillon"
    balance = invoice.total_cents - invoice.paid_cents
    if balance <= 0:
        words = "Réglée" if balance == 0 else "Trop-perçu"
    elif invoice.due_on and schedules.owed_by(invoice, today - dt.timedelta(days=1)) > 0:
        words = "En retard"
    else:
        words = "À régler"
    return words + (", avec avoir" if invoice.has_credit_note else "")


CSV_HEADER = [
    "N° Facture",
    "Date",
    "Échéance",
    "Client",
    "Code client",
    "Libellé",
    "Catégorie",
    "Montant TTC",
    "Réglé",
    "Solde",
    "État",
]


def _decimal(cents):
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def csv_rows(port, filters, today):
    """Every invoice of the selection (not just the page) as CSV cells, amounts with a decimal comma."""
    for invoice in _rows(port, filters, today).iterator():
        yield [
            invoice.number,
            fr_date(invoice.issued_on),
            fr_date(invoice.due_on),
            invoice.customer.billing_name,
            invoice.customer.code or "",
            invoice.label,
            invoice.contract.contract_type if invoice.contract_id else "",
            _decimal(invoice.total_cents),
            _decimal(invoice.paid_cents),
            _decimal(invoice.total_cents - invoice.paid_cents),
            state_of(invoice, today),
        ]


def to_csv(header, rows):
    """The CSV text (';' separated, as French spreadsheets read it, BOM first for Excel).

    Written through core.csvfiles: a text cell that a spreadsheet would run as a formula is prefixed with a
    quote; amounts (digits, a comma, maybe a minus sign) are left as numbers."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csvfiles.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
