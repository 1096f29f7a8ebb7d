"""Numbered schema migrations: each module mNNNN_name.py has `apply(db)`; applied ones are recorded.

The first migration creates the tables as the models stood then; every later change to the
schema is a new module using playhouse.migrate, never an edit of an applied one.
"""

import importlib
import pkgutil

from peewee import CharField, DateTimeField, Model

from marina_portal.core.db import database
from marina_portal.models import utcnow


def _versions_model(db):
    class SchemaMigration(Model):
        name = CharField(unique=True)
        applied_at = DateTimeField(default=utcnow)

        class Meta:
            database = db
            table_name = "schema_migration"

    return SchemaMigration


def available():
    names = [m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("m")]
    return sorted(names)


def migrate(db):
    """Apply every migration not yet recorded, each in its own transaction; return their names."""
    versions = _versions_model(db)
    db.create_tables([versions], safe=True)
    done = {row.name for row in versions.select()}
    applied = []
    for name in available():
        if name in done:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        with db.atomic():
            module.apply(db)
            versions.create(name=name)
        applied.append(name)
    return applied


def init_db():
    """Create or upgrade the schema of the app's database; return the migrations applied."""
    database.connect(reuse_if_open=True)
    return migrate(database)
