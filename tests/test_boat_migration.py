"""Migration m0060 adds the boat-change and insurance-reminder tables to a database made before it, once."""

from marina_portal.core.db import database
from marina_portal.migrations import init_db

NAME = "m0060_boat_changes_and_insurance_reminders"
TABLES = ("boat_change", "insurance_reminder", "insurance_reminder_mail")


def test_m0060_creates_the_tables_on_an_older_database(app):
    with app.app_context():
        database.connect(reuse_if_open=True)
        assert set(TABLES) <= set(database.get_tables())
        for table in reversed(TABLES):
            database.execute_sql(f"DROP TABLE {table}")
        database.execute_sql(f"DELETE FROM schema_migration WHERE name = {database.param}", (NAME,))
        assert init_db() == [NAME]
        assert set(TABLES) <= set(database.get_tables())
        assert init_db() == []
        database.close()
