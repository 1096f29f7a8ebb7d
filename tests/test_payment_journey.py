"""Paying an invoice end to end: return pages, the bank sandbox, and the whole journey in Chromium."""

import re

from conftest import PASSWORD, Auth
from payments_support import OK, balance, invoice_id, notification, notify, start_payment, stored

from marina_portal.core.db import database
from marina_portal.models import PaymentAttempt

APP_CONFIG = {"MONETICO_SANDBOX": True}  # the bank sandbox on: MONETICO_URL is its page


# --- the browser's return pages ----------------------------------------------------------------------


def test_return_page_shows_the_status_and_never_pays(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    url = f"/payment/{fields['reference']}/ok"
    page = client.get(url).get_data(as_text=True)
    assert "en attente de confirmation" in page and 'hx-get="' + url + '"' in page and "<html" in page
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="payment-status"') and "<html" not in fragment
    assert stored(app, PaymentAttempt)[0].status == "pending" and balance(app) == 85000
    assert notify(app.test_client(), notification(fields["reference"])) == OK
    page = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Paiement accepté" in page and "hx-get" not in page
    err = client.get(f"/payment/{fields['reference']}/err").get_data(as_text=True)
    assert "Paiement accepté" in err  # the notification decides, not the way back


def test_return_page_after_a_refusal(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    page = client.get(f"/payment/{fields['reference']}/err").get_data(as_text=True)
    assert "n'a pas abouti" in page
    notify(app.test_client(), notification(fields["reference"], code="Annulation"))
    assert "Paiement refusé" in client.get(f"/payment/{fields['reference']}/err").get_data(as_text=True)


def test_another_boaters_payment_is_not_found(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    other = app.test_client()
    other_auth = Auth(app, other)
    other_auth.create_boater("C0002", email="sophie@example.com")
    other_auth.login("sophie@example.com")
    assert other.get(f"/payment/{fields['reference']}/ok").status_code == 404
    assert other.get(f"/payment/{fields['reference']}/err").status_code == 404
    assert other.get(f"/payment/invoices/{invoice_id(app)}").status_code == 404
    assert other.get(f"/account/invoices/{invoice_id(app)}/pdf").status_code == 404
    assert other.get("/payment/NOSUCHREF/ok").status_code == 404


# --- the bank sandbox --------------------------------------------------------------------------------


def test_sandbox_is_off_unless_configured(make_app):
    client = make_app(MONETICO_SANDBOX=False).test_client()
    assert client.post("/sandbox/monetico/paiement.cgi", data={}).status_code == 404


def test_sandbox_checks_the_request_like_the_bank(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    bank = app.test_client()
    page = bank.post("/sandbox/monetico/paiement.cgi", data=fields)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)))
    assert page.status_code == 200
    assert "Commerçant : PORT SAINTE MARIE LA MER (1234567)" in text
    assert f"Référence : {fields['reference']}" in text and "Montant : 850,00 EUR" in text
    for button in ("Payer", "Refuser le paiement", "Abandonner"):
        assert f">{button}</button>" in page.get_data(as_text=True)

    forged = bank.post("/sandbox/monetico/paiement.cgi", data=dict(fields, montant="1.00EUR"))
    assert forged.status_code == 400 and "sceau (MAC)" in forged.get_data(as_text=True)
    missing = {k: v for k, v in fields.items() if k != "contexte_commande"}
    response = bank.post("/sandbox/monetico/paiement.cgi", data=missing)
    assert response.status_code == 400 and "contexte_commande absent" in response.get_data(as_text=True)
    extra = bank.post("/sandbox/monetico/paiement.cgi", data=dict(fields, carte="4970"))
    assert extra.status_code == 400 and "carte inconnu" in extra.get_data(as_text=True)


def test_sandbox_abandon_sends_the_browser_back_without_notifying(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    page = client.post("/sandbox/monetico/paiement.cgi", data=fields).get_data(as_text=True)
    from conftest import csrf_token

    response = client.post(
        "/sandbox/monetico/decision", data=dict(fields, decision="abandon", csrf_token=csrf_token(page))
    )
    assert response.status_code == 303 and response.headers["Location"] == fields["url_retour_err"]
    assert stored(app, PaymentAttempt)[0].status == "pending"


# --- in a real browser -------------------------------------------------------------------------------


def _log_in(page, live_server):
    Auth(live_server.app, live_server.app.test_client()).create_boater("C0001")
    page.goto(live_server.url + "/")
    page.get_by_label("Login").fill("jean.dupont@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")


def _row(page, suffix):
    return re.sub(r"\s+", " ", page.locator("tr", has_text=suffix).inner_text())


def test_whole_journey_in_a_browser(live_server, page, mailbox):
    """COMPTE CLIENT → règlement → the bank → back: Solde 0,00 €, and the receipt by mail."""
    _log_in(page, live_server)
    page.get_by_role("link", name="COMPTE CLIENT").first.click()
    assert "850,00 €" in _row(page, "/02135")
    page.get_by_role("button", name=re.compile("règlement")).click()
    assert page.get_by_text("Total à régler").is_visible()
    assert page.get_by_label("Adresse de réception du ticket de paiement").input_value() == "jean.dupont@example.com"
    page.get_by_role("button", name="Payer par carte bancaire").click()
    if not page.js_enabled:  # without JavaScript the boater sends the form to the bank by hand
        page.get_by_role("button", name="Continuer vers le site de la banque").click()
    page.wait_for_url("**/sandbox/monetico/paiement.cgi")
    assert page.get_by_text("Commerçant : PORT SAINTE MARIE LA MER (1234567)").is_visible()
    page.get_by_role("button", name="Payer").click()
    page.wait_for_url(re.compile(r".*/payment/\w+/ok$"))
    assert page.get_by_text("Paiement accepté").is_visible()
    page.get_by_role("link", name="Retour au compte client").click()
    row = _row(page, "/02135")
    assert "1 520,00 € 1 520,00 € 0,00 €" in row
    assert page.get_by_role("button", name=re.compile("règlement")).count() == 0
    assert "Total factures - Total règlements 0,00 €" in re.sub(r"\s+", " ", page.locator("tfoot").inner_text())
    receipt = mailbox.last("jean.dupont@example.com")
    assert "Reçu de paiement" in receipt["Subject"] and "850,00 €" in mailbox.text(receipt)
    width = page.evaluate("document.documentElement.scrollWidth") if page.js_enabled else 375
    assert width <= 375 or page.locator(".table-wrap").count() == 1


def test_refusal_in_a_browser_then_pay(live_server, js_page, mailbox):
    page = js_page
    _log_in(page, live_server)
    page.goto(live_server.url + "/account/")
    page.get_by_role("button", name=re.compile("règlement")).click()
    page.get_by_role("button", name="Payer par carte bancaire").click()
    page.wait_for_url("**/sandbox/monetico/paiement.cgi")
    page.get_by_role("button", name="Refuser le paiement").click()
    page.wait_for_url(re.compile(r".*/payment/\w+/err$"))
    assert page.get_by_text("Paiement refusé").is_visible()
    assert balance(live_server.app) == 85000


def test_return_page_updates_itself_when_the_bank_notifies(live_server, js_page, mailbox):
    import requests

    page = js_page
    _log_in(page, live_server)
    page.goto(live_server.url + "/account/")
    page.get_by_role("button", name=re.compile("règlement")).click()
    page.get_by_role("button", name="Payer par carte bancaire").click()
    page.wait_for_url("**/sandbox/monetico/paiement.cgi")
    with live_server.app.app_context():
        reference = PaymentAttempt.select().get().reference
        database.close()
    page.goto(f"{live_server.url}/payment/{reference}/ok")  # back before the bank has notified
    assert page.get_by_text("en attente de confirmation").is_visible()
    answer = requests.post(live_server.url + "/payment/monetico/notify", data=notification(reference), timeout=10)
    assert answer.text == OK
    page.get_by_text("Paiement accepté").wait_for(timeout=10000)
    assert balance(live_server.app) == 0
