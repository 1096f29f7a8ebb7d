"""E-invoicing: public buyers (Chorus Pro), submissions with their status history, suppliers' invoices received,
and the port's e-reporting period."""

from peewee import CharField
from playhouse.migrate import SchemaMigrator, migrate

from marina_portal.models import EinvoiceEvent, EinvoiceSubmission, IncomingInvoice, PublicBuyer


def apply(db):
    # A new database already has all of these (m0001 creates every model's table as it stands).
    if "ereporting_period" not in {c.name for c in db.get_columns("port")}:
        migrator = SchemaMigrator.from_database(getattr(db, "obj", None) or db)
        # Nullable, filled with the default: a NOT NULL column would make SQLite rebuild the port table, which
        # the rows referencing it forbid inside the migration's transaction. Filled here.
        migrate(migrator.add_column("port", "ereporting_period", CharField(default="month", null=True)))
        db.execute_sql("UPDATE port SET ereporting_period = 'month' WHERE ereporting_period IS NULL")
    db.create_tables([PublicBuyer, EinvoiceSubmission, EinvoiceEvent, IncomingInvoice], safe=True)
