"""Migration m0200 brings a database made before the billing year up to date, once, keeping its invoices."""

from peewee import SqliteDatabase

from marina_portal.billing import invoicing
from marina_portal.core.db import database
from marina_portal.migrations import init_db
from marina_portal.models import Customer, Invoice, InvoiceLine

NAME = "m0200_billing_year"
NEW_COLUMNS = {
    "port": ("legal_name", "legal_form", "legal_status", "siren", "siret", "vat_number", "share_capital", "rcs",
             "vat_regime", "payment_days", "payment_terms", "late_penalty"),
    "customer": ("kind", "company_name", "siren", "vat_number", "billing_email"),
    "invoice": ("status", "series", "issued_at", "service_from", "service_to"),
    "invoice_line": ("unit_price_e4", "unit"),
}  # fmt: skip
TABLES = ("credit_note_line", "credit_note", "number_series")


def _make_older(db):
    # CASCADE on PostgreSQL: tables of later migrations (e-invoicing) refer to these; SQLite lets them go as they are
    cascade = "" if isinstance(db.obj, SqliteDatabase) else " CASCADE"
    for table in TABLES:
        db.execute_sql(f"DROP TABLE {table}{cascade}")
    db.execute_sql('DROP INDEX "invoice_issued_number"')
    db.execute_sql('DROP INDEX "invoice_status"')
    db.execute_sql('CREATE UNIQUE INDEX "invoice_port_id_number" ON "invoice" ("port_id", "number")')
    for table, columns in NEW_COLUMNS.items():
        for column in columns:
            db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    db.execute_sql(f"DELETE FROM schema_migration WHERE name = {db.param}", (NAME,))


def test_m0200_upgrades_an_older_database_and_keeps_its_invoices(app):
    with app.app_context():
        database.connect(reuse_if_open=True)
        before = sorted(Invoice.select(Invoice.number, Invoice.total_cents).tuples())
        prices = sorted(InvoiceLine.select(InvoiceLine.unit_price_cents).tuples())
        _make_older(database)
        assert "status" not in {c.name for c in database.get_columns("invoice")}
        assert init_db() == [NAME]
        assert init_db() == []
        assert set(TABLES) <= set(database.get_tables())
        assert {i.name for i in database.get_indexes("invoice")} >= {"invoice_issued_number", "invoice_status"}
        assert "invoice_port_id_number" not in {i.name for i in database.get_indexes("invoice")}
        assert sorted(Invoice.select(Invoice.number, Invoice.total_cents).tuples()) == before
        assert {status for (status,) in Invoice.select(Invoice.status).tuples()} == {"issued"}
        assert sorted((line.price_e4 // 100,) for line in InvoiceLine.select()) == prices
        customer = Customer.get(Customer.code == "C0001")
        assert customer.kind == "individual"
        # drafts have no number yet, so several may wait at once; issued numbers stay unique
        for _ in range(2):
            invoicing.create_draft(None, customer, "Brouillon", [invoicing.Line("Eau", 1000, 100)])
        assert Invoice.select().where(Invoice.number == "").count() == 2
        database.close()
