"""Direct-debit batches keep the exact pain.008 file that was exported (path under DATA_DIR and its SHA-256)."""

from peewee import CharField
from playhouse.migrate import SchemaMigrator, migrate


def apply(db):
    migrator = SchemaMigrator.from_database(getattr(db, "obj", None) or db)
    migrate(
        migrator.add_column("direct_debit_batch", "stored_as", CharField(null=True)),
        migrator.add_column("direct_debit_batch", "sha256", CharField(null=True)),
    )
