"""Customers at the harbour office: search (plain form and htmx), the customer page, edit, invitation mail."""

import pytest

from marina_portal.core.formats import paris_today
from marina_portal.customers import records
from marina_portal.models import AuditLog, Customer, Port

YEAR = paris_today().year


@pytest.fixture
def staff(auth):
    auth.staff(role="agent")


@pytest.mark.parametrize("text", ["dupont", "JEAN DUPONT", "jean.dupont@", "BELLE", "B-12", f"{YEAR}/02135", "C0001"])
def test_search_finds_jean_dupont_by_every_key(client, staff, text):
    html = client.get("/staff/customers", query_string={"q": text}).get_data(as_text=True)
    assert "DUPONT JEAN" in html
    assert "MARTIN SOPHIE" not in html


def test_search_is_a_full_page_or_an_htmx_fragment(client, staff):
    page = client.get("/staff/customers?q=martin").get_data(as_text=True)
    assert "<html" in page and 'hx-get="/staff/customers"' in page and "MARTIN SOPHIE" in page
    fragment = client.get("/staff/customers?q=martin", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "MARTIN SOPHIE" in fragment
    boosted = client.get("/staff/customers?q=martin", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    restore = client.get(
        "/staff/customers?q=martin", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.get_data(as_text=True)


def test_search_is_paginated(app):
    with app.app_context():
        port = Port.current()
        Customer.insert_many(
            [{"port": port.id, "code": f"X{i:03d}", "last_name": f"ZORRO{i:03d}"} for i in range(45)]
        ).execute()
        rows, total, pages = records.search(port, "zorro", 3)
        assert total == 45 and pages == 3 and len(rows) == 5
        assert rows[0].last_name == "ZORRO040"
        rows, _, _ = records.search(port, "zorro", 99)  # past the end: the last page
        assert rows[-1].last_name == "ZORRO044"


def test_customer_page_shows_the_whole_case(app, client, staff):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0001").id
    html = client.get(f"/staff/customers/{customer_id}").get_data(as_text=True)
    for text in (
        "BELLE ÉTOILE",
        "B-12",
        f"{YEAR}-0042",
        "Envoyé, non signé",
        f"{YEAR}/02135",
        "1 520,00 €",
        "670,00 €",
        "850,00 €",
        "Chèque n° 1234567",
        "Aucun mandat",
        "aucun compte",
        "Total factures - Total règlements",
    ):
        assert text in html, text
    assert "CARCASSONNE FR" not in html and "Pays : FR" in html  # the country on its own line


def test_unknown_customer_is_404(client, staff):
    assert client.get("/staff/customers/9999").status_code == 404


def test_invitation_sends_the_case_1_mail(app, client, staff, form_post, mailbox):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0001").id
    response = form_post(f"/staff/customers/{customer_id}", f"/staff/customers/{customer_id}/invite")
    assert response.status_code == 303
    text = mailbox.text(mailbox.last("jean.dupont@example.com"))
    assert "LOGIN : jean.dupont@example.com" in text
    with app.app_context():
        assert AuditLog.select().where(AuditLog.action == "customer.invite").count() == 1
    page = client.get(f"/staff/customers/{customer_id}").get_data(as_text=True)
    flat = page.replace("\n", "").replace("  ", "")
    assert "Historique de la fiche" in page and "mail de première connexion</li>" in flat


def test_invitation_without_email_says_so(app, client, staff, form_post):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0002").id
    form_post(f"/staff/customers/{customer_id}", f"/staff/customers/{customer_id}/invite")
    html = client.get(f"/staff/customers/{customer_id}").get_data(as_text=True)
    assert "n&#39;a pas d&#39;adresse mail" in html or "n'a pas d'adresse mail" in html


def test_edit_refuses_a_bad_email_and_keeps_the_input(app, client, staff, form_post):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0002").id
    response = form_post(f"/staff/customers/{customer_id}/edit", last_name="MARTIN", email="pas-une-adresse")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Saisissez une adresse mail valide." in html and "pas-une-adresse" in html
    with app.app_context():
        assert Customer.get_by_id(customer_id).email is None


def test_unlock_lifts_the_rate_limit_on_a_boater_login(make_app):
    from conftest import Auth, csrf_token

    app = make_app(LOGIN_LIMIT="2/minute")
    boater, office = app.test_client(), app.test_client()
    Auth(app, boater).create_boater("C0001")
    Auth(app, office).staff(role="agent", email="agent2@example.com")  # another email: its own budget

    def try_login(password):
        page = boater.get("/").get_data(as_text=True)
        return boater.post(
            "/login", data={"csrf_token": csrf_token(page), "email": "jean.dupont@example.com", "password": password}
        )

    try_login("wrong password 1")
    try_login("wrong password 2")
    assert try_login("correct horse battery").status_code == 429
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0001").id
    page = office.get(f"/staff/customers/{customer_id}").get_data(as_text=True)
    response = office.post(f"/staff/customers/{customer_id}/unlock", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    # the per-address limit is lifted; the per-IP one (the test client's) is separate, so use another address
    response = boater.post(
        "/login",
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
        data={
            "csrf_token": csrf_token(boater.get("/").get_data(as_text=True)),
            "email": "jean.dupont@example.com",
            "password": "correct horse battery",
        },
    )
    assert response.status_code == 303


def test_create_a_customer(app, client, staff, form_post):
    response = form_post(
        "/staff/customers/new",
        code="C0100",
        last_name="ROUX",
        first_name="LÉA",
        email="Lea.Roux@Example.com",
        country="FR",
    )
    assert response.status_code == 303
    with app.app_context():
        customer = Customer.get(Customer.code == "C0100")
        assert customer.email == "lea.roux@example.com"
        assert AuditLog.get(AuditLog.action == "customer.create").object_id == customer.id
    response = form_post("/staff/customers/new", code="C0100", last_name="AUTRE")
    assert response.status_code == 422 and "déjà utilisé" in response.get_data(as_text=True)
