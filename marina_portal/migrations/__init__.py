"""Numbered schema migrations: each module mNNNN_name.py has `apply(db)`; applied ones are recorded.

Every migration is frozen: it names the tables and columns as they were when it was written (m0001 holds
its own snapshot of the first models), never today's model classes, so a fresh install and an old
database take the same steps. Every later change to the schema is a new module using playhouse.migrate,
never an edit of an applied one. The app refuses to serve while a migration is pending (`pending`).
"""

import importlib
import pkgutil

from flask import render_template, request
from peewee import CharField, DateTimeField, Model, SqliteDatabase

from marina_portal.core.db import create_private_file, database
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


def pending(db):
    """The migrations not yet applied to `db` (all of them on an empty database)."""
    if "schema_migration" not in db.get_tables():
        return available()
    done = {row.name for row in _versions_model(db).select()}
    return [name for name in available() if name not in done]


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
    if isinstance(database.obj, SqliteDatabase) and database.is_closed():
        create_private_file(database.obj.database)
    database.connect(reuse_if_open=True)
    return migrate(database)


INIT_DB = "flask --app marina_portal init-db"


def init_app(app):
    """Refuse to serve pages while the database lacks a migration: one clear 503 line, not 500s further on.

    Checked on each request until the schema is found up to date, then never again in this process (the
    schema only moves forward); /healthz and static files stay served."""
    state = {"ready": False}

    @app.before_request
    def _refuse_while_pending():
        if state["ready"] or request.endpoint in ("static", "main.healthz"):
            return None
        missing = pending(database)
        if not missing:
            state["ready"] = True
            return None
        app.logger.error("%d migration(s) pending (%s): run `%s`", len(missing), ", ".join(missing), INIT_DB)
        return render_template("errors/pending_migrations.html", command=INIT_DB), 503, {"Retry-After": "60"}
