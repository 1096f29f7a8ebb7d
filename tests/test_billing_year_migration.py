"""Migration m0230 brings a database from before tariffs, reminders, receipts and yearly runs up to date, once."""

from peewee import SqliteDatabase

from marina_portal.core.db import database
from marina_portal.migrations import init_db
from marina_portal.models import Berth, Contract

NAME = "m0230_billing_year"
TABLES = (
    "yearly_invoice",
    "contract_renewal",
    "billing_run",
    "ledger_account",
    "cheque_deposit_item",
    "cheque_deposit",
    "invoice_dispute",
    "invoice_reminder",
    "reminder_step",
    "tariff_rate",
    "tariff",
)


def test_m0230_upgrades_an_older_database_and_keeps_its_berths(app):
    with app.app_context():
        database.connect(reuse_if_open=True)
        berths = sorted(Berth.select(Berth.code).tuples())
        contracts = Contract.select().count()
        # CASCADE on PostgreSQL: tables of later migrations (energy) refer to these; SQLite lets them go as they are
        cascade = "" if isinstance(database.obj, SqliteDatabase) else " CASCADE"
        for table in TABLES:
            database.execute_sql(f'DROP TABLE "{table}"{cascade}')
        database.execute_sql('ALTER TABLE "berth" DROP COLUMN "category"')
        database.execute_sql(f"DELETE FROM schema_migration WHERE name = {database.param}", (NAME,))
        assert init_db() == [NAME]
        assert init_db() == []
        assert set(TABLES) <= set(database.get_tables())
        assert sorted(Berth.select(Berth.code).tuples()) == berths and Contract.select().count() == contracts
        assert {b.category for b in Berth.select()} == {"Ponton"}
        database.close()
