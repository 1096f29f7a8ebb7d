"""Monetico: monetico.md's test vectors, the payment form, and the bank's notifications applied exactly once."""
import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import re
from pathlib import Path

import pytest

from conftest import csrf_token
from marina_portal.db import database
from marina_portal.formats import PARIS
from marina_portal.models import Invoice, Payment, PaymentAttempt, PaymentNotification
from marina_portal.payments import Merchant, monetico

SHARED = Path("/work/shared")
V_KEY = "1036DEFD9175F29EE9337A1F284BDF781D5A4048"
DEMO_KEY_BYTES = bytes.fromhex("1234567890123456789012345678901234567890")  # the demo key, per vector V3


@pytest.fixture
def app(make_app):
    """The demo with the bank sandbox on, so MONETICO_URL is the sandbox page."""
    app = make_app(MONETICO_SANDBOX=True)
    yield app
    if not database.is_closed():
        database.close()


def v1_fields():
    fields = {
        "TPE": "9344512", "date": "10/06/2022_a_23:22:55", "montant": "191.52EUR", "reference": "4KKHUGNUNOGG",
        "texte-libre": "PHP Unit", "code-retour": "Annulation", "cvx": "oui", "vld": "0924", "brand": "CB",
        "motifrefus": "3DSecure", "motifrefusautorisation": "-", "usage": "debit", "typecompte": "particulier",
        "ecard": "non", "originecb": "FRA", "bincb": "000003", "hpancb": "6FF1313F3B6FE9B053B21CBDEE516603CB8CF01E",
        "ipclient": "127.0.0.1", "originetr": "FRA", "modepaiement": "CB",
    }
    path = SHARED / "monetico-v1-authentification.txt"
    if not path.exists():
        pytest.skip("monetico-v1-authentification.txt is not beside monetico.md")
    fields["authentification"] = path.read_text().strip()
    fields["MAC"] = "D258E699FE4C52199557336C89B02C81D09244F6"
    return fields


def test_vector_v1_notification_seal(make_app):
    fields = v1_fields()
    assert monetico.seal(fields, V_KEY) == fields["MAC"].lower()
    gateway = monetico.MoneticoGateway(Merchant("9344512", V_KEY, "test", ""))
    assert gateway.verify(fields)
    assert gateway.read(fields).status == "refused" and gateway.read(fields).amount_cents == 19152
    assert not gateway.verify(dict(fields, montant="191.53EUR"))
    # and through the real endpoint, with that key configured: seal good, reference unknown to the portal
    client = make_app(MONETICO_KEY=V_KEY, MONETICO_TPE="9344512").test_client()
    response = client.post("/payment/monetico/notify", data=fields)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "version=2\ncdr=0\n"


def test_vector_v2_request(make_app):
    gateway = monetico.MoneticoGateway(Merchant("9344512", V_KEY, "test", "https://bank.example/paiement.cgi"))
    request = gateway.build_request(
        reference="FACT000123", amount_cents=85000, when=dt.datetime(2024, 2, 1, 10, 0, tzinfo=PARIS),
        email="client@example.com", free_text="Facture FACT000123",
        billing={"addressLine1": "1 rue Test", "city": "Paris", "postalCode": "75001", "country": "FR"},
        return_ok="https://example.com/ok", return_err="https://example.com/ko",
    )
    fields = dict(request.fields)
    assert fields["contexte_commande"] == (
        "eyJiaWxsaW5nIjp7ImFkZHJlc3NMaW5lMSI6IjEgcnVlIFRlc3QiLCJjaXR5IjoiUGFyaXMiLCJwb3N0YWxDb2RlIjoiNzUwMDEiLCJj"
        "b3VudHJ5IjoiRlIifX0=")
    assert fields["date"] == "01/02/2024:10:00:00" and fields["montant"] == "850.00EUR"
    assert sorted(fields) == sorted(["TPE", "contexte_commande", "date", "lgue", "mail", "montant", "reference",
                                     "societe", "texte-libre", "url_retour_err", "url_retour_ok", "version", "MAC"])
    assert fields["MAC"] == "36b850d9d71c75e760425f7ed77638cca55422fb"


def test_vector_v3_key_derivation():
    key = monetico.usable_key("12345678901234567890123456789012345678P0")
    assert key.hex() == "1234567890123456789012345678901234567890"
    assert hmac.new(key, b"hello", hashlib.sha1).hexdigest() == "a535d23382a5191994c64d2c629114739cd51bf9"
    assert monetico.usable_key("123456789012345678901234567890123456780M").hex().endswith("00")


# --- helpers: an independent signer for notifications, and the portal's own payment form ------------

def sign(fields):
    text = "*".join(f"{k}={v}" for k, v in sorted(fields.items(), key=lambda kv: kv[0].encode()) if k != "MAC")
    return dict(fields, MAC=hmac.new(DEMO_KEY_BYTES, text.encode(), hashlib.sha1).hexdigest().upper())


def notification(reference, montant="850.00EUR", code="paiement", **extra):
    fields = {"TPE": "1234567", "date": "01/03/2026_a_10:00:00", "montant": montant, "reference": reference,
              "texte-libre": "Facture", "code-retour": code, "cvx": "oui", "vld": "1230", "brand": "CB",
              "numauto": "000001", "usage": "debit", "typecompte": "particulier", "ecard": "non",
              "originecb": "FRA", "bincb": "000003", "hpancb": "AB" * 20, "ipclient": "127.0.0.1",
              "originetr": "FRA", "modepaiement": "CB", "authentification": "e30="}
    fields.update(extra)
    return sign(fields)


def bank_form(page_html):
    """The action and fields of the form the portal sends to the bank."""
    form = re.search(r'<form method="post" action="([^"]+)" data-autosubmit>(.*?)</form>', page_html, re.S)
    assert form, page_html
    fields = {html.unescape(n): html.unescape(v)
              for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))}
    return html.unescape(form.group(1)), fields


def invoice_id(app, suffix="02135"):
    with app.app_context():
        found = Invoice.get(Invoice.number.endswith(suffix)).id
        database.close()
    return found


def start_payment(client, app, email="jean.dupont@example.com"):
    url = f"/payment/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), "receipt_email": email})
    assert response.status_code == 200
    return bank_form(response.get_data(as_text=True))


def balance(app, suffix="02135"):
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.number.endswith(suffix)).first()
        database.close()
    return invoice.balance_cents


def stored(app, model, *where):
    with app.app_context():
        rows = list(model.select().where(*where) if where else model.select())
        database.close()
    return rows


def notify(client, fields, method="post"):
    if method == "post":
        response = client.post("/payment/monetico/notify", data=fields)
    else:
        response = client.get("/payment/monetico/notify", query_string=fields)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return response.get_data(as_text=True)


OK, BAD = "version=2\ncdr=0\n", "version=2\ncdr=1\n"


# --- the payment form ------------------------------------------------------------------------------

def test_confirmation_page_and_form_to_the_bank(app, client, auth):
    auth.boater("C0001")
    page = client.get(f"/payment/invoices/{invoice_id(app)}").get_data(as_text=True)
    for words in ("Total à régler", "850,00 €", "Référence de la facture", "/02135",
                  "Adresse de réception du ticket de paiement", 'value="jean.dupont@example.com"'):
        assert words in page
    action, fields = start_payment(client, app, "ticket@example.com")
    assert action == app.config["MONETICO_URL"] == "http://127.0.0.1:5000/sandbox/monetico/paiement.cgi"
    assert set(fields) == {"TPE", "date", "montant", "reference", "lgue", "societe", "version",
                           "contexte_commande", "texte-libre", "mail", "url_retour_ok", "url_retour_err", "MAC"}
    assert fields["montant"] == "850.00EUR" and fields["version"] == "3.0" and fields["mail"] == "ticket@example.com"
    assert re.fullmatch(r"[A-Za-z0-9]{1,50}", fields["reference"])
    assert re.fullmatch(r"\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d", fields["date"])
    assert fields["MAC"] == sign(fields)["MAC"].lower()
    billing = json.loads(base64.b64decode(fields["contexte_commande"]))["billing"]
    assert billing == {"addressLine1": "10, RUE DU MARCHÉ", "city": "CARCASSONNE", "postalCode": "11000",
                       "country": "FR"}
    _, again = start_payment(client, app)
    assert again["reference"] != fields["reference"]
    attempts = stored(app, PaymentAttempt)
    assert [(a.status, a.amount_cents) for a in attempts] == [("pending", 85000)] * 2


def test_bad_receipt_address_is_refused_in_french(app, client, auth):
    auth.boater("C0001")
    url = f"/payment/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), "receipt_email": "pas une adresse"})
    assert response.status_code == 200 and "Saisissez une adresse mail valide." in response.get_data(as_text=True)
    assert stored(app, PaymentAttempt) == []


def test_monetico_url_defaults_to_the_sandbox(make_app):
    app = make_app(BASE_URL="http://portal.example:8000", MONETICO_SANDBOX=True, MONETICO_URL=None)
    assert app.config["MONETICO_URL"] == "http://portal.example:8000/sandbox/monetico/paiement.cgi"


# --- notifications ---------------------------------------------------------------------------------

def test_accepted_notification_pays_once_and_mails_a_receipt(app, client, auth, mailbox):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    assert notify(client, notification(fields["reference"])) == OK
    assert balance(app) == 0
    attempt = stored(app, PaymentAttempt)[0]
    assert attempt.status == "paid" and attempt.notified_at is not None
    payment = stored(app, Payment, Payment.attempt == attempt.id)[0]
    assert payment.method == "card" and payment.amount_cents == 85000
    receipt = mailbox.last("jean.dupont@example.com")
    assert "/02135" in receipt["Subject"]
    assert "850,00 €" in mailbox.text(receipt) and "Solde restant de la facture : 0,00 €" in mailbox.text(receipt)
    assert [n.outcome for n in stored(app, PaymentNotification)] == ["recorded"]


def test_forged_seal_is_refused(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    forged = dict(notification(fields["reference"]), MAC="0" * 40)
    assert notify(client, forged) == BAD
    tampered = dict(notification(fields["reference"], montant="1.00EUR"), montant="850.00EUR")
    assert notify(client, tampered) == BAD
    assert balance(app) == 85000 and stored(app, Payment, Payment.method == "card") == []
    assert [(n.seal_valid, n.outcome) for n in stored(app, PaymentNotification)] == [(False, "bad-seal")] * 2
    assert stored(app, PaymentAttempt)[0].status == "pending"


def test_amount_differing_from_the_attempt_is_not_credited(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    assert notify(client, notification(fields["reference"], montant="1.00EUR")) == OK
    assert balance(app) == 85000
    assert stored(app, PaymentAttempt)[0].status == "mismatch"
    assert [n.outcome for n in stored(app, PaymentNotification)] == ["mismatch"]


def test_unknown_reference(app, client):
    assert notify(client, notification("NOSUCHREF123")) == OK
    assert balance(app) == 85000
    assert [(n.reference, n.outcome) for n in stored(app, PaymentNotification)] == [("NOSUCHREF123", "unknown")]


def test_replayed_notification_records_nothing_more(app, client, auth, mailbox):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    note = notification(fields["reference"])
    assert notify(client, note) == OK
    assert notify(client, note) == OK
    assert notify(client, note, method="get") == OK  # staff replaying it from the bank's mail
    assert balance(app) == 0
    assert len(stored(app, Payment, Payment.method == "card")) == 1
    assert [n.outcome for n in stored(app, PaymentNotification)] == ["recorded", "duplicate", "duplicate"]
    mailbox.wait_for(1)
    assert len(mailbox.messages) == 1


def test_refused_then_accepted(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    assert notify(client, notification(fields["reference"], code="Annulation", motifrefus="Refus")) == OK
    assert stored(app, PaymentAttempt)[0].status == "refused" and balance(app) == 85000
    assert notify(client, notification(fields["reference"], date="01/03/2026_a_10:05:00")) == OK
    assert stored(app, PaymentAttempt)[0].status == "paid" and balance(app) == 0
    assert notify(client, notification(fields["reference"], code="Annulation")) == OK  # late refusal: ignored
    assert stored(app, PaymentAttempt)[0].status == "paid" and balance(app) == 0
    assert [n.outcome for n in stored(app, PaymentNotification)] == ["refused", "recorded", "ignored"]


def test_notify_needs_neither_login_nor_csrf_token(app, client, auth):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    fresh = app.test_client()
    assert notify(fresh, notification(fields["reference"])) == OK
    assert balance(app) == 0
    assert fresh.post("/payment/nosuchbank/notify", data={}).status_code == 404


def test_concurrent_notifications_pay_once(live_server, mailbox):
    import threading

    import requests

    from conftest import Auth

    app = live_server.app
    client = app.test_client()
    Auth(app, client).boater("C0001")
    _, fields = start_payment(client, app)
    note = notification(fields["reference"])
    answers, barrier = [], threading.Barrier(8)

    def call():
        barrier.wait()
        answers.append(requests.post(live_server.url + "/payment/monetico/notify", data=note, timeout=30).text)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [OK] * 8
    assert balance(app) == 0
    assert len(stored(app, Payment, Payment.method == "card")) == 1
    outcomes = sorted(n.outcome for n in stored(app, PaymentNotification))
    assert outcomes == ["duplicate"] * 7 + ["recorded"]
    mailbox.wait_for(1)
    assert len(mailbox.messages) == 1
