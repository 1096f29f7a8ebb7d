"""A process that dies right after recording a card payment loses no receipt: the receipt was kept in the
payment's own transaction, the worker's sweep sends it once, and the bank's resend sends nothing more."""

import pytest
from payments_support import OK, notification, notify, start_payment, stored

from marina_portal.core import mail
from marina_portal.core.db import database
from marina_portal.models import Payment, PaymentNotification, QueuedMail
from marina_portal.payments import operations

APP_CONFIG = {"MONETICO_SANDBOX": True}


class Died(BaseException):
    """The worker process ending right after the payment's transaction (a kill, an OOM)."""


def test_the_receipt_arrives_once_when_the_worker_dies_after_recording(app, client, auth, mailbox, monkeypatch):
    auth.boater("C0001")
    _, fields = start_payment(client, app)

    def die(invoice_id):
        raise Died()

    monkeypatch.setattr(operations, "refresh_pdfs_soon", die)
    with pytest.raises(Died):
        client.post("/payment/monetico/notify", data=notification(fields["reference"]))
    monkeypatch.undo()
    assert len(stored(app, Payment, Payment.method == "card")) == 1 and mailbox.messages == []
    with app.test_request_context():
        mail.sweep()  # the worker, once it runs again
        database.close()
    receipt = mailbox.last("jean.dupont@example.com")
    assert "/02135" in receipt["Subject"] and "850,00 €" in mailbox.text(receipt)
    assert notify(client, notification(fields["reference"])) == OK  # the bank tries again: a duplicate
    with app.test_request_context():
        mail.sweep()
        database.close()
    assert len(mailbox.messages) == 1
    assert [n.outcome for n in stored(app, PaymentNotification)] == ["recorded", "duplicate"]
    assert [m.status for m in stored(app, QueuedMail)] == ["sent"]
