"""In Chromium: a visitor pays two nights on B-12 through the bank sandbox (JavaScript on and off), and a reading
typed on the pontoon without network is kept in the page and sent when the network is back."""

import datetime as dt
import re

import pytest
from conftest import PASSWORD
from test_visitors import jean_away

from marina_portal.accounts.logins import create_staff
from marina_portal.core.db import database
from marina_portal.models import BerthLetting, Meter, MeterReading, VisitorStay

pytestmark = pytest.mark.browser


def test_a_visitor_pays_on_arrival_in_a_browser(live_server, page, mailbox):
    app = live_server.app
    jean_away(app)
    page.goto(f"{live_server.url}/escale/B-12")
    page.get_by_label("Nom du bateau").fill("Alizé")
    page.get_by_label("Longueur du bateau (m)").fill("9,50")
    page.get_by_label("Nombre de nuits").fill("2")
    page.get_by_label("Votre nom").fill("Marie Leroy")
    page.get_by_label("Adresse", exact=True).fill("3 rue des Mouettes")
    page.get_by_label("Code postal").fill("29200")
    page.get_by_label("Ville").fill("Brest")
    page.get_by_label("Adresse de réception du reçu").fill("marie.leroy@example.com")
    page.get_by_role("button", name="Voir le prix").click()
    assert page.get_by_text("79,20 €").is_visible()
    page.get_by_role("button", name="Payer par carte").click()
    if not page.js_enabled:  # without JavaScript the visitor sends the form to the bank by hand
        page.get_by_role("button", name="Continuer vers le site de la banque").click()
    page.wait_for_url("**/sandbox/monetico/paiement.cgi")
    page.get_by_role("button", name="Payer").click()
    page.wait_for_url(re.compile(r".*/payment/\w+/ok$"))
    assert page.get_by_text("Paiement accepté").is_visible()
    receipt = mailbox.last("marie.leroy@example.com")
    assert "4721B" in mailbox.text(receipt)
    with app.app_context():
        assert VisitorStay.get().status == "paid"
        assert BerthLetting.get().credit_cents == 3960
        database.close()


def test_a_reading_typed_offline_is_sent_when_the_network_is_back(live_server, js_page):
    page, app = js_page, live_server.app
    with app.app_context():
        create_staff("capitainerie@example.com", PASSWORD, "agent")
        database.close()
    page.goto(f"{live_server.url}/staff/login")
    page.get_by_label("Login").fill("capitainerie@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Tableau de bord").wait_for()
    page.goto(f"{live_server.url}/staff/energy/round")
    card = page.locator("article.meter-card", has_text="E-B12")
    page.context.set_offline(True)
    card.get_by_label("Index (kWh)").fill("321,5")
    card.get_by_role("button", name="Enregistrer le relevé").click()
    page.get_by_text("Pas de réseau : relevé du compteur n° E-B12").wait_for()
    assert page.get_by_text("1 relevé en attente d'envoi").is_visible()
    with app.app_context():
        assert MeterReading.select().where(MeterReading.index_milli == 321500).count() == 0
        database.close()
    page.context.set_offline(False)
    page.get_by_text("Relevé enregistré : compteur n° E-B12").wait_for()
    with app.app_context():
        meter = Meter.get(Meter.number == "E-B12")
        reading = MeterReading.get((MeterReading.meter == meter) & (MeterReading.index_milli == 321500))
        assert reading.read_at <= dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        database.close()
    assert page.evaluate("window.localStorage.getItem('marina-portal/pending-readings')") == "[]"
