"""The billing year: berth categories, tariff grids, reminders and disputes, cheque deposits, the chart of
accounts, and the yearly runs with what they made."""

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
    db = getattr(db, "obj", None) or db
    if "category" not in {c.name for c in db.get_columns("berth")}:
        # One ALTER with its default: playhouse would rebuild the table on SQLite, which contracts' keys forbid.
        db.execute_sql('ALTER TABLE "berth" ADD COLUMN "category" VARCHAR(255) NOT NULL DEFAULT \'Ponton\'')
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
