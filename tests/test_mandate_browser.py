"""JEAN DUPONT's mandate journey in Chromium (JavaScript on and off), ending in the batch that collects 850,00 €."""

import datetime as dt
import re

import pytest
from conftest import PASSWORD

from marina_portal.accounts.logins import hash_password
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Customer, Mandate, User


def log_in_jean(live_server, page):
    with live_server.app.app_context():
        User.create(
            email="jean.dupont@example.com",
            password_hash=hash_password(PASSWORD),
            customer=Customer.get(Customer.code == "C0001"),
        )
        database.close()
    page.goto(live_server.url + "/STEMARIE66")
    page.get_by_label("Login").fill("jean.dupont@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


@pytest.mark.browser
def test_jean_dupont_fills_checks_and_signs_his_mandate(live_server, page, tmp_path):
    log_in_jean(live_server, page)
    page.get_by_role("link", name="Paiement par prélèvement").click()
    assert page.get_by_role("heading", name="MANDAT DE PRELEVEMENT SEPA").is_visible()
    assert "POUR UN PRELEVEMENT RECURRENT" in page.content()
    assert "FR72ZZZ123456" in page.content()
    rum = page.locator("#rum").inner_text()
    assert page.get_by_label("Nom", exact=True).input_value() == "DUPONT JEAN"
    assert page.get_by_label("Adresse").input_value() == "10, RUE DU MARCHÉ"
    assert page.get_by_label("Code postal").input_value() == "11000"
    assert page.get_by_label("Ville").input_value() == "CARCASSONNE"

    # The tutorial's sample IBAN is three characters short.
    page.get_by_label("IBAN").fill("FR7634303100000001000100")
    page.get_by_label("BIC").fill("MORSFR33XXX")
    page.get_by_role("button", name="Enregistrer et vérifier mon RIB").click()
    page.get_by_text("La longueur de l'IBAN est incorrecte : 24 caractères au lieu de 27").wait_for()
    if page.js_enabled:  # once htmx has settled the swap, nothing is wider than the phone
        page.wait_for_function("document.documentElement.scrollWidth <= 375", timeout=5000)

    page.get_by_label("IBAN").fill("fr76 3000 6000 0112 3456 7890 189")
    page.get_by_label("BIC").fill("")
    page.get_by_role("button", name="Enregistrer et vérifier mon RIB").click()
    assert page.locator("#iban").inner_text().startswith("FR76")
    assert page.locator("#iban").inner_text().endswith("0189")
    assert "3000 6000" not in page.content()
    assert page.locator("#bic").inner_text() == "AGRIFRPPXXX"

    page.get_by_label(re.compile("j'autorise le prélèvement")).check()
    page.get_by_role("button", name="Signer le mandat").click()
    assert page.get_by_text("Mandat signé et actif.").is_visible()
    assert page.locator("#signed-on").inner_text() == paris_today().strftime("%d/%m/%Y")
    assert page.locator("#rum").inner_text() == rum
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF du mandat signé").click()
    assert download.value.suggested_filename == f"mandat-sepa-{rum}.pdf"

    collection = paris_today() + dt.timedelta(days=15)
    out = tmp_path / "batch.xml"
    result = live_server.app.test_cli_runner().invoke(
        args=["sepa", "export", "--collection-date", collection.isoformat(), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    xml = out.read_text()
    assert f"<MndtId>{rum}</MndtId>" in xml and '<InstdAmt Ccy="EUR">850.00</InstdAmt>' in xml
    with live_server.app.app_context():
        assert Mandate.get(Mandate.rum == rum).status == "active"
        database.close()
