"""Mandates keep what they were signed under and what the bank was last told (amendment information);
a debit keeps the amendment it carried. Existing signed mandates count as signed under today's settings."""

from peewee import CharField, TextField
from playhouse.migrate import SchemaMigrator, migrate

MANDATE_COLUMNS = (
    "signed_place",
    "signed_creditor_id",
    "signed_creditor_name",
    "signed_iban",
    "signed_bic",
    "told_creditor_id",
    "told_creditor_name",
    "told_iban",
    "told_bic",
)


def apply(db):
    # A new database gets the columns from m0001 (which creates the tables as the models stand).
    have = {c.name for c in db.get_columns("mandate")}
    migrator = SchemaMigrator.from_database(getattr(db, "obj", None) or db)
    added = [
        migrator.add_column("mandate", name, CharField(default="")) for name in MANDATE_COLUMNS if name not in have
    ]
    if "amendment" not in {c.name for c in db.get_columns("direct_debit")}:
        added.append(migrator.add_column("direct_debit", "amendment", TextField(default="")))
    if not added:
        return
    migrate(*added)
    port = db.execute_sql("SELECT creditor_id, name FROM port ORDER BY id LIMIT 1").fetchone()
    if port is None:
        return
    db.execute_sql(
        "UPDATE mandate SET signed_creditor_id = %s, signed_creditor_name = %s, signed_iban = iban, signed_bic = bic, "
        "told_creditor_id = %s, told_creditor_name = %s, told_iban = iban, told_bic = bic "
        "WHERE signed_at IS NOT NULL".replace("%s", db.param),
        (port[0], port[1], port[0], port[1]),
    )
