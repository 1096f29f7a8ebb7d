"""Customer search without case nor accents (« Müller » finds MÜLLER on SQLite and PostgreSQL): a folded
copy of each customer's names, email and code, filled here for customers already there.

It reads and writes with plain SQL on the columns it knows, never through today's Customer model, whose later
columns this database does not have yet."""

from peewee import Table, TextField
from playhouse.migrate import SchemaMigrator, migrate

from marina_portal.core.formats import folded


def searchable(last_name, first_name, email, code):
    """As Customer.searchable: both name orders, email and code, folded."""
    full_name = f"{last_name or ''} {first_name or ''}".strip()
    other_order = f"{first_name or ''} {last_name or ''}".strip()
    return folded(" | ".join((full_name, other_order, email or "", code or "")))


def apply(db):
    if "search_text" not in {c.name for c in db.get_columns("customer")}:
        migrator = SchemaMigrator.from_database(getattr(db, "obj", None) or db)
        migrate(migrator.add_column("customer", "search_text", TextField(default="")))
    customer = Table("customer", ("id", "last_name", "first_name", "email", "code", "search_text")).bind(db)
    rows = list(customer.select(customer.id, customer.last_name, customer.first_name, customer.email, customer.code))
    for row in rows:
        text = searchable(row["last_name"], row["first_name"], row["email"], row["code"])
        customer.update(search_text=text).where(customer.id == row["id"]).execute()
