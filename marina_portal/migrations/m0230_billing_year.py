"""The billing year: berth categories, tariff grids, reminders and disputes, cheque deposits, the chart of
accounts, and the yearly runs with what they made."""

from peewee import CharField
from playhouse.migrate import SchemaMigrator, migrate

from marina_portal.models import (
    BillingRun,
    ChequeDeposit,
    ChequeDepositItem,
    ContractRenewal,
    InvoiceDispute,
    InvoiceReminder,
    LedgerAccount,
    ReminderStep,
    Tariff,
    TariffRate,
    YearlyInvoice,
)


def apply(db):
    # A new database already has all of these (m0001 creates every model's table as it stands).
    if "category" not in {c.name for c in db.get_columns("berth")}:
        migrator = SchemaMigrator.from_database(getattr(db, "obj", None) or db)
        migrate(migrator.add_column("berth", "category", CharField(default="Ponton")))
    db.create_tables(
        [
            Tariff,
            TariffRate,
            ReminderStep,
            InvoiceReminder,
            InvoiceDispute,
            ChequeDeposit,
            ChequeDepositItem,
            LedgerAccount,
            BillingRun,
            ContractRenewal,
            YearlyInvoice,
        ],
        safe=True,
    )
