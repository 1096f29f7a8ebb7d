"""Customer search without case nor accents (« Müller » finds MÜLLER on SQLite and PostgreSQL): a folded
copy of each customer's names, email and code, filled here for customers already there."""

from peewee import TextField
from playhouse.migrate import SchemaMigrator, migrate

from marina_portal.models import Customer


def apply(db):
    if "search_text" not in {c.name for c in db.get_columns("customer")}:
        migrator = SchemaMigrator.from_database(getattr(db, "obj", None) or db)
        migrate(migrator.add_column("customer", "search_text", TextField(default="")))
    for customer in Customer.select():
        Customer.update(search_text=customer.searchable()).where(Customer.id == customer.id).execute()
