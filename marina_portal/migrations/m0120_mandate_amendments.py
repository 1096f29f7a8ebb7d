"""Mandates keep what they were signed under and what the bank was last told (amendment information);
a debit keeps the amendment it carried. Existing signed mandates count as signed under today's settings."""

from peewee import CharField, Table, TextField
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
    mandate = Table(
        "mandate",
        ("signed_at", "iban", "bic", "signed_creditor_id", "signed_creditor_name", "signed_iban", "signed_bic")
        + ("told_creditor_id", "told_creditor_name", "told_iban", "told_bic"),
    ).bind(db)
    mandate.update(
        {
            mandate.signed_creditor_id: port[0],
            mandate.signed_creditor_name: port[1],
            mandate.signed_iban: mandate.iban,
            mandate.signed_bic: mandate.bic,
            mandate.told_creditor_id: port[0],
            mandate.told_creditor_name: port[1],
            mandate.told_iban: mandate.iban,
            mandate.told_bic: mandate.bic,
        }
    ).where(mandate.signed_at.is_null(False)).execute()
