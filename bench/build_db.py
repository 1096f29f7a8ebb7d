"""Build the benchmark databases: the demo, and a large marina (5,000 customers, 100,000 invoices, 60,000 payments).

The boater the load generator logs in as (code BENCH0001) has 40 invoices. On the large database JEAN DUPONT
keeps a login too (DEMO_TWIN_EMAIL), so COMPTE CLIENT can be timed there with the demo's very invoices: the
large/demo comparison then measures the size of the database, not the number of rows on the page.
"""

import datetime as dt
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from marina_portal import create_app  # noqa: E402
from marina_portal.accounts.logins import hash_password  # noqa: E402
from marina_portal.core.db import database  # noqa: E402
from marina_portal.demo import load_demo  # noqa: E402
from marina_portal.migrations import init_db
from marina_portal.models import (  # noqa: E402
    Berth,
    Boat,
    Contract,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Port,
    Tariff,
    User,
)
from marina_portal.tariffs import grid, publishing  # noqa: E402

BENCH_EMAIL = "bench.boater@example.com"
BENCH_PASSWORD = "bench password 2026"
DEMO_TWIN_EMAIL = "bench.demo-boater@example.com"
BUILD_VERSION = 3  # part of the file names: a change here rebuilds the databases
CUSTOMERS, INVOICES, PAYMENTS, BENCH_INVOICES = 5000, 100_000, 60_000, 40


def _app(path, data_dir):
    return create_app({"DATABASE": path, "DATA_DIR": data_dir, "SECRET_KEY": "bench-secret-key-0123456789abcdef"})


def build_demo(path, data_dir):
    app = _app(path, data_dir)
    with app.app_context():
        init_db()
        load_demo()
        set_legal_identity()  # every issued invoice then carries its Factur-X XML, as on a real port
        dupont = Customer.get(Customer.code == "C0001")
        User.create(email=BENCH_EMAIL, password_hash=hash_password(BENCH_PASSWORD), customer=dupont)
        database.close()


def set_legal_identity():
    """The port's SIREN and VAT number (a valid pair): what Factur-X needs of the seller."""
    Port.update(siren="732829320", vat_number="FR44732829320").execute()


def add_season_contracts(app, contracts=5000):
    """A port with `contracts` more boaters, each with a boat, a berth and a sent contract of the season after
    the demo's, whose tariff is published (3 % up); returns that season's year. The yearly run's bench and
    its test (tests/test_yearly_run.py) use it."""
    with app.app_context():
        port = Port.get()
        year = Tariff.get().year + 1
        set_legal_identity()
        with database.atomic():
            for chunk in _chunks(
                [
                    {
                        "port": port.id,
                        "code": f"G{n:05d}",
                        "last_name": f"NOM{n}",
                        "first_name": "P",
                        "email": f"p{n}@example.com",
                    }
                    for n in range(contracts)
                ]
            ):
                Customer.insert_many(chunk).execute()
            ids = {
                c.code: c.id for c in Customer.select(Customer.id, Customer.code).where(Customer.code.startswith("G"))
            }
            for chunk in _chunks(
                [
                    {"customer": ids[f"G{n:05d}"], "name": f"B{n}", "length_cm": 600 + n % 800, "beam_cm": 300}
                    for n in range(contracts)
                ]
            ):
                Boat.insert_many(chunk).execute()
            boats = {b.customer_id: b.id for b in Boat.select(Boat.id, Boat.customer).where(Boat.name.startswith("B"))}
            for chunk in _chunks(
                [{"port": port.id, "code": f"Z-{n:05d}", "length_cm": 1500} for n in range(contracts)]
            ):
                Berth.insert_many(chunk).execute()
            berths = {b.code: b.id for b in Berth.select().where(Berth.code.startswith("Z-"))}
            for chunk in _chunks(
                [
                    {
                        "port": port.id,
                        "customer": ids[f"G{n:05d}"],
                        "boat": boats[ids[f"G{n:05d}"]],
                        "berth": berths[f"Z-{n:05d}"],
                        "number": f"{year}-G{n:05d}",
                        "contract_type": "Annuel",
                        "starts_on": dt.date(year, 1, 1),
                        "ends_on": dt.date(year, 12, 31),
                        "status": "sent",
                    }
                    for n in range(contracts)
                ]
            ):
                Contract.insert_many(chunk).execute()
        current = Tariff.get()
        publishing.publish(None, grid.create_season(None, port, year, current, 300))
        database.close()
    return year


def _chunks(rows, size=2000):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def build_large(path, data_dir):
    build_demo(path, data_dir)
    app = _app(path, data_dir)
    rng = random.Random(2026)
    year = dt.date.today().year
    with app.app_context(), database.atomic():
        port = Port.get()
        User.update(email=DEMO_TWIN_EMAIL).where(User.email == BENCH_EMAIL).execute()
        customers = [
            {
                "port": port.id,
                "code": f"BENCH{i:04d}",
                "last_name": f"NOM{i:04d}",
                "first_name": "PRENOM",
                "street": f"{i} RUE DU PORT",
                "postcode": "66000",
                "town": "PERPIGNAN",
                "email": f"client{i}@example.com",
            }
            for i in range(1, CUSTOMERS + 1)
        ]
        for chunk in _chunks(customers):
            Customer.insert_many(chunk).execute()
        ids = [
            c.id for c in Customer.select(Customer.id).where(Customer.code.startswith("BENCH")).order_by(Customer.id)
        ]
        bench_customer = ids[0]
        User.create(email=BENCH_EMAIL, password_hash=hash_password(BENCH_PASSWORD), customer=bench_customer)
        owners = [bench_customer] * BENCH_INVOICES + [rng.choice(ids[1:]) for _ in range(INVOICES - BENCH_INVOICES)]
        invoices = []
        for n, owner in enumerate(owners, start=1):
            issued = dt.date(year - rng.randint(0, 3), rng.randint(1, 12), rng.randint(1, 28))
            invoices.append(
                {
                    "port": port.id,
                    "customer": owner,
                    "number": f"B{n:07d}",
                    "issued_on": issued,
                    "due_on": issued + dt.timedelta(days=30),
                    "label": "Facture de prestation",
                    "total_cents": rng.randint(50, 3000) * 100,
                }
            )
        for chunk in _chunks(invoices):
            Invoice.insert_many(chunk).execute()
        rows = list(Invoice.select(Invoice.id, Invoice.total_cents).where(Invoice.number.startswith("B")))
        lines = [
            {
                "invoice": r.id,
                "position": 1,
                "description": "Prestation",
                "unit_price_cents": r.total_cents * 5 // 6,
                "total_ht_cents": r.total_cents * 5 // 6,
                "total_vat_cents": r.total_cents - r.total_cents * 5 // 6,
                "vat_rate_bp": 2000,
            }
            for r in rows
        ]
        for chunk in _chunks(lines):
            InvoiceLine.insert_many(chunk).execute()
        paid = rng.sample(rows, PAYMENTS)
        payments = [
            {
                "invoice": r.id,
                "method": rng.choice(["cheque", "transfer", "card"]),
                "amount_cents": r.total_cents if rng.random() < 0.7 else r.total_cents // 2,
                "received_on": dt.date(year, 1, 1),
                "reference": "bench",
            }
            for r in paid
        ]
        for chunk in _chunks(payments):
            Payment.insert_many(chunk).execute()
    with app.app_context():
        database.execute_sql("ANALYZE")
        database.close()


if __name__ == "__main__":
    kind, target = sys.argv[1], sys.argv[2]
    data = target.replace(".sqlite3", "-data")  # where bench/run.py points DATA_DIR
    (build_large if kind == "large" else build_demo)(target, data)
    print(f"{kind} database written to {target}")
