"""Billing year: the port's legal identity, business customers, drafts and numbering series, credit notes."""

from peewee import CharField, DateField, DateTimeField, IntegerField, SqliteDatabase
from playhouse.migrate import SchemaMigrator, migrate

from marina_portal.models import CreditNote, CreditNoteLine, NumberSeries

COLUMNS = {
    "port": {
        "legal_name": CharField(default=""),
        "legal_form": CharField(default=""),
        "legal_status": CharField(default="public"),
        "siren": CharField(default=""),
        "siret": CharField(default=""),
        "vat_number": CharField(default=""),
        "share_capital": CharField(default=""),
        "rcs": CharField(default=""),
        "vat_regime": CharField(default="receipts"),
        "payment_days": IntegerField(default=30),
        "payment_terms": CharField(default=""),
        "late_penalty": CharField(default=""),
    },
    "customer": {
        "kind": CharField(default="individual"),
        "company_name": CharField(default=""),
        "siren": CharField(default=""),
        "vat_number": CharField(default=""),
        "billing_email": CharField(null=True),
    },
    "invoice": {
        "status": CharField(default="issued"),  # every invoice so far was issued, by the portal or elsewhere
        "series": CharField(default=""),
        "issued_at": DateTimeField(null=True),
        "service_from": DateField(null=True),
        "service_to": DateField(null=True),
    },
    "invoice_line": {"unit_price_e4": IntegerField(null=True), "unit": CharField(default="")},
}


def _column_sql(db, table, name, field):
    """ALTER TABLE ... ADD COLUMN with its default in the statement: playhouse's add_column makes a NOT NULL column
    by rebuilding the table on SQLite, which the foreign keys pointing at it forbid (and cascades would empty)."""
    kind = {CharField: "VARCHAR(255)", IntegerField: "INTEGER", DateField: "DATE"}.get(type(field))
    kind = kind or ("DATETIME" if isinstance(db, SqliteDatabase) else "TIMESTAMP")
    if field.null:
        return f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}'
    default = field.default if isinstance(field.default, int) else "'" + field.default.replace("'", "''") + "'"
    return f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind} NOT NULL DEFAULT {default}'


def apply(db):
    # A new database already has all of it (m0001 creates the tables as the models stand).
    db = getattr(db, "obj", None) or db
    for table, columns in COLUMNS.items():
        present = {column.name for column in db.get_columns(table)}
        for name, field in columns.items():
            if name not in present:
                db.execute_sql(_column_sql(db, table, name, field))
    migrator = SchemaMigrator.from_database(db)
    operations = []
    indexes = {index.name for index in db.get_indexes("invoice")}
    if "invoice_status" not in indexes:
        operations.append(migrator.add_index("invoice", ("status",), False))
    if "invoice_port_id_number" in indexes:  # issued numbers stay unique; drafts have none yet
        operations.append(migrator.drop_index("invoice", "invoice_port_id_number"))
    if operations:
        migrate(*operations)
    if "invoice_issued_number" not in indexes:
        db.execute_sql(
            'CREATE UNIQUE INDEX "invoice_issued_number" ON "invoice" ("port_id", "number") WHERE number <> \'\''
        )
    db.execute_sql("UPDATE invoice_line SET unit_price_e4 = unit_price_cents * 100 WHERE unit_price_e4 IS NULL")
    db.create_tables([NumberSeries, CreditNote, CreditNoteLine], safe=True)
