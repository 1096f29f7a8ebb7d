"""Waiting list: remember when the yearly confirmation reminder was mailed, so it goes out once."""

from peewee import DateTimeField
from playhouse.migrate import SchemaMigrator, migrate


def apply(db):
    migrator = SchemaMigrator.from_database(getattr(db, "obj", None) or db)
    migrate(migrator.add_column("waiting_list_application", "reminded_at", DateTimeField(null=True)))
