"""Two tabs paying one invoice: the second is shown the first card attempt, so the invoice is paid once."""

import datetime as dt

from conftest import csrf_token
from payments_support import OK, balance, bank_form, invoice_id, notification, notify, stored

from marina_portal.core.db import database
from marina_portal.models import Payment, PaymentAttempt

APP_CONFIG = {"MONETICO_SANDBOX": True}


def _pay(client, app):
    url = f"/payment/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(page), "receipt_email": "jean.dupont@example.com"})


def test_a_second_tab_continues_the_first_attempt_and_the_invoice_is_paid_once(app, client, auth):
    auth.boater("C0001")
    first_page, second_page = _pay(client, app), _pay(client, app)  # both tabs opened before paying
    _, first = bank_form(first_page.get_data(as_text=True))
    second = second_page.get_data(as_text=True)
    assert "est déjà en cours depuis le" in second and first["reference"] in second
    assert "Reprendre ce paiement sur le site de la banque" in second and "data-autosubmit" not in second
    assert len(stored(app, PaymentAttempt)) == 1
    # the boater completes the payment in both tabs: the bank knows one reference, the portal records it once
    assert notify(client, notification(first["reference"])) == OK
    assert notify(client, notification(first["reference"])) == OK
    assert balance(app) == 0
    assert len(stored(app, Payment, Payment.method == "card")) == 1


def test_once_the_bank_page_expired_a_new_attempt_starts(app, client, auth):
    auth.boater("C0001")
    _pay(client, app)
    with app.app_context():
        for attempt in PaymentAttempt.select():
            attempt.created_at -= dt.timedelta(minutes=46)
            attempt.save()
        database.close()
    _, fields = bank_form(_pay(client, app).get_data(as_text=True))
    attempts = stored(app, PaymentAttempt)
    assert len(attempts) == 2 and fields["reference"] == attempts[1].reference
