"""Migration m0050 adds WaitingListApplication.reminded_at to a database made before it, once."""

from marina_portal.core.db import database
from marina_portal.migrations import init_db

NAME = "m0050_waiting_list_reminded_at"


def columns():
    return {c.name for c in database.get_columns("waiting_list_application")}


def test_m0050_adds_the_column_to_an_older_database(app):
    with app.app_context():
        database.connect(reuse_if_open=True)
        assert "reminded_at" in columns()
        database.execute_sql("ALTER TABLE waiting_list_application DROP COLUMN reminded_at")
        database.execute_sql(f"DELETE FROM schema_migration WHERE name = {database.param}", (NAME,))
        assert "reminded_at" not in columns()
        assert init_db() == [NAME]
        assert "reminded_at" in columns()
        assert init_db() == []
        database.close()
