"""The portal refuses to serve pages while a migration is pending, with the one command to run."""

from marina_portal.core.db import database


def test_pages_wait_for_init_db_with_one_clear_line(make_app, auth):
    app = make_app()
    with app.app_context():
        database.connect(reuse_if_open=True)
        database.execute_sql("DELETE FROM schema_migration WHERE name = 'm0070_boat_change_changed'")
        database.close()
    client = app.test_client()
    for url in ("/", "/staff/boat-changes", "/my-boat/"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert "lancez <code>flask --app marina_portal init-db</code>" in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert client.get("/").status_code == 200
