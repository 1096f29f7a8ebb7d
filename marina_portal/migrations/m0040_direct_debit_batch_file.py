"""Direct-debit batches keep the exact pain.008 file that was exported (path under DATA_DIR and its SHA-256)."""

from peewee import CharField
from playhouse.migrate import SchemaMigrator, migrate

COLUMNS = {"stored_as": CharField(null=True), "sha256": CharField(null=True)}


def apply(db):
    # m0001 creates tables from the current models, so a fresh database already has these columns.
    present = {column.name for column in db.get_columns("direct_debit_batch")}
    migrator = SchemaMigrator.from_database(db)
    operations = [
        migrator.add_column("direct_debit_batch", name, field) for name, field in COLUMNS.items() if name not in present
    ]
    if operations:
        migrate(*operations)
