"""A harbour officer in a real browser: find JEAN DUPONT, record a 100,00 € cheque, see the balance change."""

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect

from marina_portal.accounts.logins import create_staff, hash_password
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Customer, Invoice, User

pytestmark = pytest.mark.browser
YEAR = paris_today().year


def test_record_a_cheque_for_jean_dupont(live_server, js_page):
    app = live_server.app
    with app.app_context():
        create_staff("capitainerie@example.com", PASSWORD, "agent")
        database.close()
    page = js_page
    page.goto(f"{live_server.url}/staff/")
    assert "/staff/login" in page.url
    page.get_by_label("Login").fill("capitainerie@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Tableau de bord").wait_for()

    page.get_by_role("link", name="Clients").click()
    page.get_by_label("Rechercher un client").type("dupo", delay=50)  # htmx narrows the list as we type
    expect(page.locator("#results")).not_to_contain_text("MARTIN")
    assert "q=dupo" in page.url  # the address follows the search, so it can be bookmarked
    page.get_by_role("link", name="DUPONT JEAN").click()
    page.get_by_role("heading", name="DUPONT JEAN").wait_for()
    assert "850,00 €" in page.content()

    page.get_by_role("link", name=f"{YEAR}/02135").click()
    assert page.locator("#solde").inner_text() == "850,00 €"
    page.get_by_label("Mode de règlement").select_option("cheque")
    page.get_by_label("Montant").fill("100,00")
    page.get_by_label("Référence").fill("Chèque n° 7654321")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    page.get_by_text("Règlement enregistré.").wait_for()
    assert page.locator("#solde").inner_text() == "750,00 €"

    page.get_by_role("link", name="DUPONT JEAN").click()
    expect(page.locator("td.balance")).to_have_text("750,00 €")  # Total factures - Total règlements
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.number == f"{YEAR}/02135").get()
        assert (invoice.paid_cents, invoice.balance_cents) == (77000, 75000)
        database.close()
    if "account.show" in app.view_functions:  # COMPTE CLIENT comes from its own branch: check the boater side too
        see_balance_as_boater(live_server, page.context.browser)


def see_balance_as_boater(live_server, browser):
    with live_server.app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        User.create(email=customer.email, password_hash=hash_password(PASSWORD), customer=customer)
        database.close()
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-FR")
    boater = context.new_page()
    boater.goto(live_server.url + "/")
    boater.get_by_label("Login").fill("jean.dupont@example.com")
    boater.get_by_label("Mot de passe").fill(PASSWORD)
    boater.get_by_role("button", name="Se connecter").click()
    boater.get_by_role("link", name="COMPTE CLIENT").first.click()
    expect(boater.locator("body")).to_contain_text("750,00 €")
    context.close()


def test_the_same_without_javascript(live_server, browser):
    with live_server.app.app_context():
        create_staff("capitainerie@example.com", PASSWORD, "agent")
        database.close()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10000)
    page.goto(f"{live_server.url}/staff/login")
    page.get_by_label("Login").fill("capitainerie@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Clients").click()
    page.get_by_label("Rechercher un client").fill("B-12")  # by berth, with the plain form
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#results")).not_to_contain_text("MARTIN")
    page.get_by_role("link", name="DUPONT JEAN").click()
    page.get_by_role("link", name=f"{YEAR}/02135").click()
    page.get_by_label("Montant").fill("100,00")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    expect(page.locator("#solde")).to_have_text("750,00 €")
    context.close()
