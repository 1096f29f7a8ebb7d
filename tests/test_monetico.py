"""Monetico: monetico.md's test vectors through the portal's code, and the form the portal sends to the bank."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from conftest import csrf_token
from payments_support import invoice_id, sign, start_payment, stored

from marina_portal.core.formats import PARIS
from marina_portal.models import PaymentAttempt
from marina_portal.payments import ACCEPTED, REGISTRY, BankResult, Gateway, Merchant, PaymentRequest, monetico, register

DATA = Path(__file__).parent / "data"
V_KEY = "1036DEFD9175F29EE9337A1F284BDF781D5A4048"

APP_CONFIG = {"MONETICO_SANDBOX": True}  # the bank sandbox on: MONETICO_URL is its page


def v1_fields():
    fields = {
        "TPE": "9344512",
        "date": "10/06/2022_a_23:22:55",
        "montant": "191.52EUR",
        "reference": "4KKHUGNUNOGG",
        "texte-libre": "PHP Unit",
        "code-retour": "Annulation",
        "cvx": "oui",
        "vld": "0924",
        "brand": "CB",
        "motifrefus": "3DSecure",
        "motifrefusautorisation": "-",
        "usage": "debit",
        "typecompte": "particulier",
        "ecard": "non",
        "originecb": "FRA",
        "bincb": "000003",
        "hpancb": "6FF1313F3B6FE9B053B21CBDEE516603CB8CF01E",
        "ipclient": "127.0.0.1",
        "originetr": "FRA",
        "modepaiement": "CB",
    }
    fields["authentification"] = (DATA / "monetico-v1-authentification.txt").read_text().strip()
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
        reference="FACT000123",
        amount_cents=85000,
        when=dt.datetime(2024, 2, 1, 10, 0, tzinfo=PARIS),
        email="client@example.com",
        free_text="Facture FACT000123",
        billing={"addressLine1": "1 rue Test", "city": "Paris", "postalCode": "75001", "country": "FR"},
        return_ok="https://example.com/ok",
        return_err="https://example.com/ko",
    )
    fields = dict(request.fields)
    assert fields["contexte_commande"] == (
        "eyJiaWxsaW5nIjp7ImFkZHJlc3NMaW5lMSI6IjEgcnVlIFRlc3QiLCJjaXR5IjoiUGFyaXMiLCJwb3N0YWxDb2RlIjoiNzUwMDEiLCJj"
        "b3VudHJ5IjoiRlIifX0="
    )
    assert fields["date"] == "01/02/2024:10:00:00" and fields["montant"] == "850.00EUR"
    assert sorted(fields) == sorted(
        [
            "TPE",
            "contexte_commande",
            "date",
            "lgue",
            "mail",
            "montant",
            "reference",
            "societe",
            "texte-libre",
            "url_retour_err",
            "url_retour_ok",
            "version",
            "MAC",
        ]
    )
    assert fields["MAC"] == "36b850d9d71c75e760425f7ed77638cca55422fb"


def test_vector_v3_key_derivation():
    key = monetico.usable_key("12345678901234567890123456789012345678P0")
    assert key.hex() == "1234567890123456789012345678901234567890"
    assert hmac.new(key, b"hello", hashlib.sha1).hexdigest() == "a535d23382a5191994c64d2c629114739cd51bf9"
    assert monetico.usable_key("123456789012345678901234567890123456780M").hex().endswith("00")


# --- the payment form ------------------------------------------------------------------------------


def test_confirmation_page_and_form_to_the_bank(app, client, auth):
    auth.boater("C0001")
    page = client.get(f"/payment/invoices/{invoice_id(app)}").get_data(as_text=True)
    for words in (
        "Total à régler",
        "850,00 €",
        "Référence de la facture",
        "/02135",
        "Adresse de réception du ticket de paiement",
        'value="jean.dupont@example.com"',
    ):
        assert words in page
    action, fields = start_payment(client, app, "ticket@example.com")
    assert action == app.config["MONETICO_URL"] == "http://127.0.0.1:5000/sandbox/monetico/paiement.cgi"
    assert set(fields) == {
        "TPE",
        "date",
        "montant",
        "reference",
        "lgue",
        "societe",
        "version",
        "contexte_commande",
        "texte-libre",
        "mail",
        "url_retour_ok",
        "url_retour_err",
        "MAC",
    }
    assert fields["montant"] == "850.00EUR" and fields["version"] == "3.0" and fields["mail"] == "ticket@example.com"
    assert re.fullmatch(r"[A-Za-z0-9]{1,50}", fields["reference"])
    assert re.fullmatch(r"\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d", fields["date"])
    assert fields["MAC"] == sign(fields)["MAC"].lower()
    billing = json.loads(base64.b64decode(fields["contexte_commande"]))["billing"]
    assert billing == {
        "addressLine1": "10, RUE DU MARCHÉ",
        "city": "CARCASSONNE",
        "postalCode": "11000",
        "country": "FR",
    }
    # A second start while the first is open at the bank (another tab) shows that first one (issue 18, item 6).
    url = f"/payment/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    again = client.post(url, data={"csrf_token": csrf_token(page), "receipt_email": "ticket@example.com"})
    assert again.status_code == 200 and fields["reference"] in again.get_data(as_text=True)
    attempts = stored(app, PaymentAttempt)
    assert [(a.status, a.amount_cents) for a in attempts] == [("pending", 85000)]


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


class FakeBank(Gateway):
    """A second gateway with another shape (amount in minor units), to show the interface and registry."""

    name = "fakebank"

    def build_request(self, *, reference, amount_cents, when, email, billing, free_text, return_ok, return_err):
        return PaymentRequest("https://fakebank.example/pay", [("ref", reference), ("amount", str(amount_cents))])

    def verify(self, fields):
        return fields.get("sig") == "good"

    def read(self, fields):
        return BankResult(fields["ref"], int(fields["amount"]), "EUR", ACCEPTED)

    def acknowledge(self, seal_valid):
        return "", (200 if seal_valid else 400), {}


@pytest.fixture
def fakebank():
    register(FakeBank)
    yield
    REGISTRY.pop("fakebank")


def test_config_picks_the_gateway(make_app, fakebank):
    from conftest import Auth

    app = make_app(PAYMENT_GATEWAY="fakebank", MONETICO_URL="https://fakebank.example/pay")
    client = app.test_client()
    Auth(app, client).boater("C0001")
    url = f"/payment/invoices/{invoice_id(app)}"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client.get(url).get_data(as_text=True)),
            "receipt_email": "jean.dupont@example.com",
        },
    )
    page = response.get_data(as_text=True)
    assert 'action="https://fakebank.example/pay"' in page and 'name="amount" value="85000"' in page
    reference = stored(app, PaymentAttempt)[0].reference
    assert app.test_client().post("/payment/fakebank/notify", data={"ref": reference, "sig": "bad"}).status_code == 400
    assert (
        app.test_client()
        .post("/payment/fakebank/notify", data={"ref": reference, "amount": "85000", "sig": "good"})
        .status_code
        == 200
    )
    assert stored(app, PaymentAttempt)[0].status == "paid"


def test_unknown_gateway_means_no_online_payment(make_app):
    from conftest import Auth

    app = make_app(PAYMENT_GATEWAY="nosuchbank", MONETICO_SANDBOX=True)
    client = app.test_client()
    Auth(app, client).boater("C0001")
    page = client.get(f"/payment/invoices/{invoice_id(app)}").get_data(as_text=True)
    assert "pas disponible" in page and "Payer par carte bancaire" not in page
