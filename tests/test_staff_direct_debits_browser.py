"""A harbour officer on a phone, with and without JavaScript: preview, export and download a batch, record a return."""

import os

import pytest
from conftest import PASSWORD
from test_sepa_export import add_mandate
from test_staff_direct_debits import COLLECTION

from marina_portal.accounts.logins import create_staff
from marina_portal.core.db import database

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHOTS_DIR")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{'js' if page.js_enabled else 'nojs'}.png"), full_page=True)


def test_preview_export_download_and_return(live_server, page, mailbox):
    app = live_server.app
    add_mandate(app)
    add_mandate(app, code="C0002")
    with app.app_context():
        create_staff("capitainerie@example.com", PASSWORD, "agent")
        database.close()
    page.goto(f"{live_server.url}/staff/login")
    page.get_by_label("Login").fill("capitainerie@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Tableau de bord").wait_for()
    shot(page, "dashboard")
    page.goto(f"{live_server.url}/staff/direct-debits")
    page.get_by_label("Date de prélèvement").fill(COLLECTION.isoformat())
    page.get_by_label("Format du fichier").select_option("pain.008.001.02")
    if page.js_enabled:  # on a phone the whole format name shows: .02 and .08 differ only at the end
        assert page.get_by_label("Format du fichier").bounding_box()["width"] > 300
    page.get_by_role("button", name="Voir le lot").click()
    page.get_by_text("2 prélèvement(s)").wait_for()
    shot(page, "preview")
    page.get_by_role("button", name="Exporter ce lot").click()
    page.get_by_role("heading", name="Lot de prélèvements n° 1").wait_for()
    assert "Lot n° 1 exporté" in page.content()
    shot(page, "batch")
    with page.expect_download() as caught:
        page.get_by_role("button", name="Télécharger le fichier").click()
    download = caught.value
    assert download.suggested_filename == f"prelevements-{COLLECTION.isoformat()}-lot1.xml"
    assert b"pain.008.001.02" in open(download.path(), "rb").read()
    page.get_by_label("Motif du rejet de B000001M000001").select_option("AC04")
    page.get_by_role("button", name="Enregistrer le rejet de B000001M000001").click()
    page.get_by_text("Rejet enregistré pour B000001M000001").wait_for()
    assert "rejeté (AC04)" in page.content()
    page.get_by_role("link", name="← Prélèvements SEPA").click()
    page.get_by_role("heading", name="Lots exportés").wait_for()
    shot(page, "list")
    width = page.evaluate("document.documentElement.scrollWidth") if page.js_enabled else 375
    assert width <= 375


@pytest.mark.parametrize("url", ["/staff/direct-debits", "/staff/online-payments", "/staff/"])
def test_on_a_phone_the_page_title_stays_above_its_sections(live_server, js_page, url):
    with live_server.app.app_context():
        create_staff("capitainerie@example.com", PASSWORD, "agent")
        database.close()
    page = js_page
    page.goto(f"{live_server.url}/staff/login")
    page.get_by_label("Login").fill("capitainerie@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Tableau de bord").wait_for()
    page.goto(live_server.url + url)
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    h1 = page.locator("h1").evaluate(size)
    assert all(h1 > page.locator("h2").nth(i).evaluate(size) for i in range(page.locator("h2").count()))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
