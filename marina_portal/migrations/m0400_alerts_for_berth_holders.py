"""Port alerts reach berth holders only, unless the harbour office ticks « aussi pour tous » (alert_for_all)."""

from peewee import BooleanField
from playhouse.migrate import SchemaMigrator, migrate


def apply(db):
    # A new database gets the column from m0001 (which creates the tables as the models stand).
    if "alert_for_all" in {c.name for c in db.get_columns("news_item")}:
        return
    migrator = SchemaMigrator.from_database(getattr(db, "obj", None) or db)
    migrate(migrator.add_column("news_item", "alert_for_all", BooleanField(default=False)))
