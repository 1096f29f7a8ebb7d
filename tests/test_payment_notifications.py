"""The bank's notifications: good, forged, tampered, unknown, replayed, concurrent, refused then accepted."""

import threading

import requests
from conftest import Auth
from payments_support import BAD, OK, balance, notification, notify, start_payment, stored

from marina_portal.models import AuditLog, Payment, PaymentAttempt, PaymentNotification

APP_CONFIG = {"MONETICO_SANDBOX": True}  # the bank sandbox on: MONETICO_URL is its page


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
    [entry] = stored(app, AuditLog, AuditLog.action == "payment_amount_mismatch")
    assert '"amount_cents": 100' in entry.after and '"amount_cents": 85000' in entry.before


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


def test_an_oversized_anonymous_call_is_refused_unread(app, client):
    response = client.post("/payment/monetico/notify", data={"reference": "X", "texte-libre": "A" * (11 * 1024 * 1024)})
    assert response.status_code == 413
    assert stored(app, PaymentNotification) == []


def test_a_bad_seal_is_kept_only_as_a_truncated_copy(app, client):
    call = {"reference": "FORGED", "MAC": "0" * 40, "texte-libre": "B" * 9000, **{f"f{n}": "x" for n in range(80)}}
    assert notify(client, call) == BAD
    [kept] = stored(app, PaymentNotification)
    assert kept.outcome == "bad-seal" and kept.reference == "FORGED"
    assert len(kept.fields) <= 4000


def test_an_address_sending_bad_seals_is_refused_for_a_while(make_app, auth):
    app = make_app(MONETICO_SANDBOX=True, NOTIFY_BAD_SEAL_LIMIT="3/hour")
    client = app.test_client()
    Auth(app, client).boater("C0001")
    _, fields = start_payment(client, app)
    forged = dict(notification(fields["reference"]), MAC="0" * 40)
    for _ in range(3):
        assert notify(client, forged) == BAD
    assert client.post("/payment/monetico/notify", data=forged).status_code == 429
    # the bank, calling from its own address, is still heard
    good = client.post(
        "/payment/monetico/notify", data=notification(fields["reference"]), environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert good.status_code == 200 and good.get_data(as_text=True) == OK
    assert len(stored(app, PaymentNotification)) == 4
