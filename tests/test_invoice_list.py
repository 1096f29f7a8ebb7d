"""The staff invoice list: filters, sort, the selection's totals and CSV, dashboard links, constant query count."""

import csv
import datetime as dt
import io
import logging

import pytest

from marina_portal.billing import credit_notes, invoice_list, invoicing, schedules
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.dashboard import figures
from marina_portal.models import Customer, Invoice, Payment, Port

YEAR = paris_today().year
# The demo: 2135 (1 520,00, 670,00 paid, overdue), 2235 (178,00 paid), 2301 (2 340,00 unpaid, overdue).


@pytest.fixture
def staff(auth):
    auth.staff(role="agent")


def numbers(html):
    return [n for n in (f"{YEAR}/02135", f"{YEAR}/02235", f"{YEAR}/02301", f"{YEAR}/09000") if n in html]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["02135", "02235", "02301"]),
        ("?state=unpaid", ["02135", "02301"]),
        ("?state=overdue", ["02135", "02301"]),
        ("?state=paid", ["02235"]),
        ("?state=credit_noted", []),
        ("?customer=MARTIN", ["02301"]),
        ("?category=-", ["02235"]),
        ("?category=Annuel", ["02135", "02301"]),
        (f"?from={YEAR}-01-12&to={YEAR}-01-16", ["02135"]),
        ("?state=nimporte&from=hier&page=zéro&sort=x", ["02135", "02235", "02301"]),
    ],
)
def test_filters(app, client, staff, query, expected):
    response = client.get("/staff/invoices" + query)
    assert response.status_code == 200
    assert numbers(response.get_data(as_text=True)) == [f"{YEAR}/{n}" for n in expected]


def test_totals_are_of_the_whole_selection(app, client, staff):
    html = client.get("/staff/invoices?state=unpaid").get_data(as_text=True)
    assert (
        "2 factures : <strong>3 860,00 €</strong>" in html
        and "réglé 670,00 €, solde <strong>3 190,00 €</strong>" in html
    )
    with app.app_context():
        figures = invoice_list.totals(Port.current(), invoice_list.Filters(state="overdue"), paris_today())
        assert (figures.count, figures.balance_cents) == (2, 319000)


def test_sort_by_balance_both_ways(app, client, staff):
    descending = client.get("/staff/invoices?sort=balance").get_data(as_text=True)
    ascending = client.get("/staff/invoices?sort=balance&order=asc").get_data(as_text=True)
    first = lambda html: html.index(f"{YEAR}/02301") < html.index(f"{YEAR}/02135")  # noqa: E731
    assert first(descending) and not first(ascending)


def test_a_credit_noted_invoice_is_found_and_its_state_said(app, client, staff):
    with app.app_context():
        credit_notes.issue_credit_note(None, Invoice.get(Invoice.number == f"{YEAR}/02301"), "Geste", amount_cents=100)
    html = client.get("/staff/invoices?state=credit_noted").get_data(as_text=True)
    assert numbers(html) == [f"{YEAR}/02301"] and "En retard, avec avoir" in html


def test_drafts_are_listed_apart(app, client, staff):
    with app.app_context():
        invoicing.create_draft(
            None, Customer.get(Customer.code == "C0002"), "Hivernage", [invoicing.Line("x", 1000, 100)]
        )
    assert "Hivernage" not in client.get("/staff/invoices").get_data(as_text=True)
    assert "Hivernage" in client.get("/staff/invoices?state=draft").get_data(as_text=True)


def test_csv_export_of_the_selection(app, client, staff):
    response = client.get("/staff/invoices.csv?state=overdue&sort=number&order=asc")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == invoice_list.CSV_HEADER
    assert [row[0] for row in rows[1:]] == [f"{YEAR}/02135", f"{YEAR}/02301"]
    assert rows[1][7:10] == ["1520,00", "670,00", "850,00"] and rows[1][3] == "DUPONT JEAN"


def test_csv_cells_a_spreadsheet_would_run_are_defused(app, client, staff):
    with app.app_context():
        customer = Customer.get(Customer.code == "C0002")
        customer.last_name = '=HYPERLINK("http://example.com")'
        customer.save()
    text = client.get("/staff/invoices.csv?customer=HYPERLINK").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


def test_dashboard_figures_link_to_the_filtered_list(app, client, staff):
    html = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/invoices?state=overdue">2 factures en retard</a>' in html
    assert 'href="/staff/invoices?state=unpaid"' in html


class QueryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        self.count += 1


def queries(client, url):
    logger = logging.getLogger("peewee")
    counter, level = QueryCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        assert client.get(url).status_code == 200
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    return counter.count


def grow(app, n):
    with app.app_context():
        port, customer = Port.current(), Customer.get(Customer.code == "C0002")
        start = Invoice.select().count()
        for i in range(start, start + n):
            invoice = Invoice.create(
                port=port, customer=customer, number=f"G{i}", issued_on=dt.date(YEAR, 1, 5), total_cents=1000
            )
            Payment.create(invoice=invoice, method="cash", amount_cents=500, received_on=dt.date(YEAR, 1, 6))
            credit_notes.issue_credit_note(None, invoice, "Geste", amount_cents=100)
        database.close()


@pytest.mark.parametrize(
    "url",
    [
        "/staff/invoices",
        "/staff/invoices?state=unpaid&sort=balance",
        "/staff/invoices?state=credit_noted&category=-&customer=MARTIN",
        "/staff/invoices.csv?state=overdue",
    ],
)
def test_query_count_does_not_grow_with_invoices(app, client, staff, url):
    grow(app, 2)
    few = queries(client, url)
    grow(app, 30)
    assert queries(client, url) == few


def test_an_invoice_in_instalments_is_late_only_once_an_instalment_fell_due_unpaid(app, client, staff):
    today = paris_today()
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith("02301"))  # 2 340,00 €, nothing paid
        Invoice.update(payment_schedule="debit_3", due_on=today - dt.timedelta(days=10)).where(
            Invoice.id == invoice.id
        ).execute()
        before = figures.amounts_due(Port.current(), today)
        Payment.create(invoice=invoice.id, method="cheque", amount_cents=780_00, received_on=today)
        after = figures.amounts_due(Port.current(), today)
        for schedule, total in [(s, t) for s in ("once", "debit_3", "debit_10", "card_3") for t in (2340_00, 2340_07)]:
            # the SQL says what the rule says, remainders included
            Invoice.update(payment_schedule=schedule, total_cents=total).where(Invoice.id == invoice.id).execute()
            row = Invoice.with_paid().where(Invoice.id == invoice.id).get()
            for day in (today - dt.timedelta(days=11), today, today + dt.timedelta(days=40), today.replace(day=1)):
                column = schedules.fallen_due_sql(day, Invoice.due_on, Invoice.total_cents, Invoice.payment_schedule)
                in_sql = Invoice.select(column.alias("fallen")).where(Invoice.id == invoice.id).scalar()
                assert in_sql == schedules.fallen_due(row, day), (schedule, day)
        Invoice.update(payment_schedule="debit_3", total_cents=2340_00).where(Invoice.id == invoice.id).execute()
    late_before, late_after = before[1] - 850_00, after[1] - 850_00  # JEAN DUPONT's 850,00 € are late too
    assert (late_before, late_after) == (780_00, 0)  # the first instalment only, then nothing
    assert numbers(client.get("/staff/invoices?state=overdue").get_data(as_text=True)) == [f"{YEAR}/02135"]
    assert f"{YEAR}/02301" in numbers(client.get("/staff/invoices?state=unpaid").get_data(as_text=True))
