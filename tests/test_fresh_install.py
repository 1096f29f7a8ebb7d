"""docs/deploy.md on an empty database: init-db, `staff create`, then the port is set up from Paramètres."""

from conftest import csrf_token

from marina_portal.core.db import database
from marina_portal.models import Port

PASSWORD = "a long staff password"


def test_the_first_account_sets_the_port_up_from_the_staff_pages(make_app):
    app = make_app(demo=False, PORT_CODE="PORTVENDRES")
    runner, client = app.test_cli_runner(), app.test_client()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    created = runner.invoke(args=["staff", "create", "capitainerie@example.com"], input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    assert "Paramètres" in created.output
    page = client.get("/staff/login").get_data(as_text=True)
    client.post(
        "/staff/login", data={"csrf_token": csrf_token(page), "email": "capitainerie@example.com", "password": PASSWORD}
    )
    settings = client.get("/staff/settings")
    assert settings.status_code == 200 and 'value="PORTVENDRES"' in settings.get_data(as_text=True)
    saved = client.post(
        "/staff/settings",
        data={
            "csrf_token": csrf_token(settings.get_data(as_text=True)),
            "name": "PORT DE PORT-VENDRES",
            "code": "PORTVENDRES",
            "creditor_id": "FR72ZZZ123456",
            "iban": "FR7630006000011234567890189",
        },
    )
    assert saved.status_code == 303
    for url in ("/staff/", "/staff/customers", "/staff/direct-debits", "/staff/online-payments", "/staff/port/"):
        assert client.get(url).status_code == 200, url
    with app.app_context():
        assert [(p.name, p.code, p.bic) for p in Port.select()] == [
            ("PORT DE PORT-VENDRES", "PORTVENDRES", "AGRIFRPPXXX")
        ]
        database.close()
    again = runner.invoke(args=["staff", "create", "agent@example.com", "--role", "agent"], input=PASSWORD + "\n")
    assert again.exit_code == 0 and "Paramètres" not in again.output
    with app.app_context():
        assert Port.select().count() == 1
        database.close()
