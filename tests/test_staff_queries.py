"""Staff pages are built with a constant number of queries, however many rows they show."""

import datetime as dt
import logging

import pytest

from marina_portal.models import Berth, Boat, Contract, Customer, Invoice, Payment, Port


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
    """Add n invoices, payments, boats, contracts and berths to JEAN DUPONT."""
    with app.app_context():
        port, dupont = Port.current(), Customer.get(Customer.code == "C0001")
        start = Invoice.select().count()
        for i in range(start, start + n):
            invoice = Invoice.create(
                port=port, customer=dupont, number=f"G{i}", issued_on=dt.date(2026, 3, 1), total_cents=1000
            )
            Payment.create(invoice=invoice, method="cash", amount_cents=500, received_on=dt.date(2026, 3, 2))
            boat = Boat.create(customer=dupont, name=f"BOAT{i}")
            berth = Berth.create(port=port, code=f"G-{i}")
            Contract.create(
                port=port,
                customer=dupont,
                boat=boat,
                berth=berth,
                number=f"K{i}",
                starts_on=dt.date(2026, 1, 1),
                ends_on=dt.date(2026, 12, 31),
            )
        return dupont.id


@pytest.mark.parametrize(
    "url",
    [
        "/staff/customers/{id}",
        "/staff/customers?q=",
        "/staff/payments?from=2026-01-01",
        "/staff/berths",
        "/staff/documents",
        "/staff/",
        "/staff/audit",
    ],
)
def test_page_queries_do_not_grow_with_rows(app, client, auth, url):
    auth.staff(role="admin")
    customer_id = grow(app, 1)
    few = queries(client, url.format(id=customer_id))
    assert few > 0
    grow(app, 15)
    assert queries(client, url.format(id=customer_id)) == few
