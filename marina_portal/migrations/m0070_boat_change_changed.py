"""Boat changes keep the facts the boater changed (boat_change.changed), added to the model without a migration.

The one conditional step of the chain, because it repairs a drift: a database first made between that
model change and this migration already has the column (its m0001 or m0060 then built the table from the
models of the day); every other database lacks it.
"""

from peewee import CharField
from playhouse.migrate import SchemaMigrator, migrate


def apply(db):
    real = getattr(db, "obj", None) or db
    if "changed" in {column.name for column in real.get_columns("boat_change")}:
        return
    migrate(SchemaMigrator.from_database(real).add_column("boat_change", "changed", CharField(default="")))
