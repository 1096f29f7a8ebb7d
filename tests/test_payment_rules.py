"""Card payments true to their rules: no double charge with a direct debit, `payetest` only on a test bank,
a billing context the bank accepts, and a mistyped terminal key that fails cleanly."""

import base64
import datetime as dt
import json

import pytest
from conftest import Auth, csrf_token
from payments_support import OK, balance, bank_form, invoice_id, notification, notify, start_payment, stored
from test_sepa_export import COLLECTION, add_mandate, db, export

from marina_portal.models import AuditLog, Customer, DirectDebit, PaymentAttempt, PaymentNotification, Port, utcnow
from marina_portal.payments import merchant_for
from marina_portal.payments.sandbox import check_request
from marina_portal.sepa import debit_batches

APP_CONFIG = {"MONETICO_SANDBOX": True}


def test_an_invoice_on_the_banks_card_page_is_left_out_of_a_batch(app, client, auth, runner, tmp_path):
    auth.boater("C0001")
    start_payment(client, app)  # on the bank's page when the mandate is signed (once signed, no card is offered)
    add_mandate(app)
    with app.app_context():
        assert debit_batches.plan(Port.current(), COLLECTION) == []  # the office's preview leaves it out too
    result, xml = export(runner, tmp_path)
    assert result.exit_code == 1 and "Aucune facture" in result.output
    db(app, lambda: PaymentAttempt.update(created_at=utcnow() - dt.timedelta(minutes=61)).execute())
    result, xml = export(runner, tmp_path)
    assert result.exit_code == 0, result.output  # an hour later the attempt is taken as abandoned


def test_a_card_payment_on_an_invoice_in_a_batch_is_an_overpayment_told_to_the_office(
    app, client, auth, runner, tmp_path, mailbox
):
    auth.boater("C0001")
    _, fields = start_payment(client, app)  # started before the mandate: once signed, no card is offered
    add_mandate(app)
    db(app, lambda: PaymentAttempt.update(created_at=utcnow() - dt.timedelta(hours=2)).execute())
    result, _ = export(runner, tmp_path)
    assert result.exit_code == 0 and balance(app) == 0
    mailbox.clear()
    assert notify(client, notification(fields["reference"])) == OK  # the bank took the money as well
    assert balance(app) == -85000  # listed among « Factures payées en trop », to refund
    office = mailbox.last("web.management@example.com")
    text = mailbox.text(office)
    assert "/02135" in office["Subject"] and "850,00 €" in text and "rembourse" in text
    (debit,) = stored(app, DirectDebit)
    assert debit.end_to_end_id in text
    assert stored(app, AuditLog, AuditLog.action == "payment_overpaid_by_card")[0].object_id == invoice_id(app)


def test_a_test_payment_on_a_production_terminal_is_ignored(auth_for):
    app, client = auth_for(MONETICO_SANDBOX=False, MONETICO_URL="https://p.monetico-services.com/paiement.cgi")
    _, fields = start_payment(client, app)
    assert notify(client, notification(fields["reference"], code="payetest")) == OK  # the seal was good
    assert balance(app) == 85000
    (attempt,) = stored(app, PaymentAttempt)
    assert attempt.status == "pending"
    (entry,) = stored(app, AuditLog, AuditLog.action == "payment_test_ignored")
    assert "paiement de test ignoré" in entry.after
    (note,) = stored(app, PaymentNotification)
    assert note.outcome == "test-ignored"
    assert notify(client, notification(fields["reference"], code="paiement")) == OK  # a real payment counts
    assert balance(app) == 0


def test_a_test_payment_counts_on_the_banks_test_page(auth_for):
    app, client = auth_for(MONETICO_SANDBOX=False, MONETICO_URL="https://p.monetico-services.com/test/paiement.cgi")
    _, fields = start_payment(client, app)
    assert notify(client, notification(fields["reference"], code="payetest")) == OK
    assert balance(app) == 0


def test_production_warns_about_the_banks_test_page(tmp_path, caplog):
    from test_production import GOOD

    from marina_portal import create_app
    from marina_portal.core.production import check

    app = create_app(
        {
            **GOOD,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "MONETICO_URL": "https://p.monetico-services.com/test/paiement.cgi",
        }
    )
    with caplog.at_level("WARNING"):
        assert check(app) is app
    assert "page de TEST de la banque" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        check(create_app({**GOOD, "DATABASE": str(tmp_path / "q.sqlite3")}))
    assert "TEST" not in caplog.text


@pytest.fixture
def auth_for(make_app):
    """An app with these settings and a client logged in as JEAN DUPONT."""

    def factory(**config):
        app = make_app(**config)
        client = app.test_client()
        Auth(app, client).boater("C0001")
        return app, client

    return factory


def bank_request(client, app):
    _, fields = start_payment(client, app)
    return json.loads(base64.b64decode(fields["contexte_commande"]))["billing"], fields


def test_the_billing_context_is_normalised_and_cut_to_the_banks_lengths(app, client, auth):
    def odd_address():
        Customer.update(
            street="  12,   RÉSIDENCE DES GOÉLANDS, BÂTIMENT C, ESCALIER 4, APPARTEMENT 27  ",
            town="SAINT-CYPRIEN-PLAGE-LES-FLOTS-BLEUS-SUR-MER-ET-ALENTOURS",
            postcode="66750 CEDEX 12",
            country="fr",
        ).where(Customer.code == "C0001").execute()

    db(app, odd_address)
    auth.boater("C0001")
    billing, fields = bank_request(client, app)
    assert billing["country"] == "FR"
    assert billing["addressLine1"] == "12, RÉSIDENCE DES GOÉLANDS, BÂTIMENT C, ESCALIER 4,"[:50].rstrip()
    assert len(billing["addressLine1"]) <= 50 and len(billing["city"]) <= 50 and len(billing["postalCode"]) <= 10
    with app.test_request_context():
        assert check_request(fields, merchant_for(Port.current())) == []


def test_an_incomplete_address_is_asked_on_the_confirmation_page(app, client, auth):
    db(app, lambda: Customer.update(street="", town="").where(Customer.code == "C0001").execute())
    auth.boater("C0001")
    url = f"/payment/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    assert "Adresse de facturation" in page and 'name="street"' in page
    sent = client.post(url, data={"csrf_token": csrf_token(page), "receipt_email": "jean.dupont@example.com"})
    assert sent.status_code == 422 and "Complétez l&#39;adresse de facturation" in sent.get_data(as_text=True)
    assert stored(app, PaymentAttempt) == []
    sent = client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "receipt_email": "jean.dupont@example.com",
            "street": "10, RUE DU MARCHÉ",
            "postcode": "11000",
            "town": "CARCASSONNE",
            "country": "France",
        },
    )
    assert sent.status_code == 200
    _, fields = bank_form(sent.get_data(as_text=True))
    billing = json.loads(base64.b64decode(fields["contexte_commande"]))["billing"]
    assert billing == {
        "addressLine1": "10, RUE DU MARCHÉ",
        "city": "CARCASSONNE",
        "postalCode": "11000",
        "country": "FR",
    }


def test_a_mistyped_terminal_key_fails_cleanly_and_paramètres_say_why(make_app, caplog):
    app = make_app(MONETICO_SANDBOX=True, MONETICO_KEY="12345678901234567890123456789O1234567890")  # O for 0
    client = app.test_client()
    auth = Auth(app, client)
    auth.boater("C0001")
    url = f"/payment/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    sent = client.post(url, data={"csrf_token": csrf_token(page), "receipt_email": "jean.dupont@example.com"})
    assert sent.status_code == 200 and "paiement en ligne n'est pas disponible" in sent.get_data(as_text=True)
    assert stored(app, PaymentAttempt) == []
    assert "mal recopiée" in caplog.text
    staff = app.test_client()
    Auth(app, staff).staff(role="admin")
    settings = staff.get("/staff/settings").get_data(as_text=True)
    refused = staff.post(
        "/staff/settings",
        data={
            "csrf_token": csrf_token(settings),
            "name": "PORT SAINTE MARIE LA MER",
            "code": "STEMARIE66",
            "monetico_key": "12345678901234567890123456789O1234567890",
        },
    )
    assert refused.status_code == 422 and "mal recopiée" in refused.get_data(as_text=True)
