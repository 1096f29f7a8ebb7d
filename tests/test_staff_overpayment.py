"""A cheque recorded while the boater's card payment is under way: staff are warned, and an overpaid invoice is listed."""
import pytest
from payments_support import OK, balance, invoice_id, notification, notify, start_payment

from conftest import csrf_token
from marina_portal.db import database


@pytest.fixture
def app(make_app):
    app = make_app(MONETICO_SANDBOX=True)
    yield app
    if not database.is_closed():
        database.close()


def test_a_cheque_during_a_card_payment_is_warned_and_the_excess_listed(app, client, auth, mailbox):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    auth.staff(role="agent")
    url = f"/staff/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    assert "Paiement par carte en cours" in page and "850,00" in page
    recorded = client.post(url + "/payments", data={"csrf_token": csrf_token(page), "method": "cheque",
                                                    "amount": "850,00", "received_on": "2026-12-01"})
    assert recorded.status_code == 303 and balance(app) == 0
    assert "Aucune facture payée en trop" in client.get("/staff/online-payments").get_data(as_text=True)
    assert notify(client, notification(fields["reference"])) == OK  # the bank took the money: it is recorded
    assert balance(app) == -85000
    listing = client.get("/staff/online-payments").get_data(as_text=True)
    assert "Factures payées en trop" in listing and "/02135" in listing
    assert "2 370,00" in listing and "1 520,00" in listing and "850,00" in listing
    assert "Paiement par carte en cours" not in client.get(url).get_data(as_text=True)
