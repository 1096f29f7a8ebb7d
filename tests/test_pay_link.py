"""The pay link of a mail: that one invoice's payment page without logging in, and access to nothing else."""

import re

from conftest import csrf_token
from payments_support import OK, bank_form, invoice_id, notification, notify

from marina_portal.billing import mailing, pay_links
from marina_portal.core import tokens
from marina_portal.core.db import database
from marina_portal.models import Invoice, InvoiceReminder, Mandate, PaymentAttempt, ReminderStep

APP_CONFIG = {"MONETICO_SANDBOX": True}


def _link(app, suffix="02135"):
    with app.test_request_context():
        invoice = Invoice.with_paid().where(Invoice.number.endswith(suffix)).get()
        url = pay_links.url(invoice)
        database.close()
    return url[url.index("/payment/link/") :]


def _text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_invoice_available_mail_carries_the_link(app, mailbox):
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.number.endswith("02135")).get()
        assert mailing.send_invoice_available(invoice)
        database.close()
    mail = mailbox.wait_for(1)[0]
    assert "Votre facture est disponible" in mail["Subject"]
    link = mailbox.link()
    assert "/payment/link/" in link and link.startswith(app.config["BASE_URL"])


def test_link_pays_the_invoice_without_login_then_is_spent(app):
    client = app.test_client()
    link = _link(app)
    page = client.get(link)
    assert page.status_code == 200
    text = _text(page)
    assert "Total à régler 850,00 €" in text and "02135" in text
    assert "Adresse de réception du ticket de paiement" in text and "COMPTE CLIENT" not in text
    response = client.post(
        link, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "receipt_email": "j@example.com"}
    )
    assert response.status_code == 200
    _, fields = bank_form(response.get_data(as_text=True))
    assert fields["montant"] == "850.00EUR"
    # back from the bank in the same browser: the status, still without logging in
    assert client.get(f"/payment/{fields['reference']}/ok").status_code == 200
    assert app.test_client().get(f"/payment/{fields['reference']}/ok").status_code == 302  # another browser: login
    assert notify(app.test_client(), notification(fields["reference"])) == OK
    assert "Paiement accepté" in _text(client.get(f"/payment/{fields['reference']}/ok"))
    paid = client.get(link)
    assert paid.status_code == 410 and "déjà réglée" in _text(paid)
    again = client.get(link)
    assert again.status_code == 410 and "déjà servi" in _text(again)
    assert client.post(link, data={"receipt_email": "j@example.com"}).status_code in (400, 410)


def test_link_gives_access_to_nothing_else(app):
    client = app.test_client()
    link = _link(app)
    assert client.get(link).status_code == 200
    other = invoice_id(app, "02301")
    own = invoice_id(app, "02135")
    for url in (
        "/account/",
        f"/account/invoices/{own}/pdf",
        f"/payment/invoices/{own}",
        f"/payment/invoices/{other}",
        "/contract/",
        "/documents/",
        "/staff/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 401, 403), url
        assert "/login" in response.headers.get("Location", "") or response.status_code != 302, url
    # the token names its invoice: nothing in the URL can point it at another
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/payment/link/{token[:-2]}xx").status_code == 404
    with app.test_request_context():
        forged = tokens.make(pay_links.PURPOSE, {"invoice": other, "customer": 1})  # SOPHIE's invoice, DUPONT's id
        other_purpose = tokens.make("first-login", {"invoice": own, "customer": 1})
    assert client.get(f"/payment/link/{forged}").status_code == 404
    assert client.get(f"/payment/link/{other_purpose}").status_code == 404
    assert client.get("/payment/link/nonsense").status_code == 404


def test_link_expires(app):
    link = _link(app)
    app.config["PAY_LINK_MAX_AGE"] = -1
    response = app.test_client().get(link)
    assert response.status_code == 410 and "expiré" in _text(response)


def test_link_in_english_for_an_english_boater(app, mailbox):
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.number.endswith("02135")).get()
        invoice.customer.language = "en"
        invoice.customer.save()
        mailing.send_invoice_available(Invoice.with_paid().where(Invoice.id == invoice.id).get())
        database.close()
    assert "Your invoice is available" in mailbox.wait_for(1)[0]["Subject"]


def _give_mandate(app, suffix="02135"):
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith(suffix))
        Mandate.create(customer=invoice.customer_id, rum="RUM-LINK", status="active", debtor_name="DUPONT JEAN")
        database.close()


def test_link_refuses_the_card_for_an_invoice_the_mandate_collects(app):
    link = _link(app)
    _give_mandate(app)
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 409
    text = _text(page)
    assert "Cette facture sera prélevée" in text and "pas à payer par carte" in text
    assert "Adresse de réception du ticket de paiement" not in text
    assert client.post(link, data={"receipt_email": "j@example.com"}).status_code in (400, 409)
    with app.app_context():
        assert not PaymentAttempt.select().exists()
        database.close()


def test_mails_of_a_boater_with_a_mandate_carry_no_pay_link(app, mailbox):
    _give_mandate(app)
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.number.endswith("02135")).get()
        assert mailing.send_invoice_available(invoice)
        step = ReminderStep.create(port=invoice.port, days_after_due=15)
        reminder = InvoiceReminder.create(
            invoice=invoice.id, step=step, days_after_due=15, kind="reminder", email="j@example.com", balance_cents=1
        )
        mailing.send_reminder(invoice, reminder)
        database.close()
    for mail in mailbox.wait_for(2):
        text = re.sub(r"\s+", " ", mailbox.text(mail))
        assert "/payment/link/" not in text and "carte bancaire" not in text
        assert "sera prélevée sur votre compte au prochain prélèvement" in text


def test_the_debit_plans_of_a_mailing_chunk_are_read_in_two_queries(app):
    """The yearly run mails thousands of boaters: who pays by direct debit is read once per chunk, not per mail."""
    import logging

    from test_invoice_list import QueryCounter

    from marina_portal.models import Customer
    from marina_portal.sepa import planned

    _give_mandate(app)
    with app.app_context():
        ids = [c.id for c in Customer.select(Customer.id)]
        logger, counter = logging.getLogger("peewee"), QueryCounter()
        level = logger.level
        logger.addHandler(counter)
        logger.setLevel(logging.DEBUG)
        try:
            plans = planned.for_customers(ids)
        finally:
            logger.removeHandler(counter)
            logger.setLevel(level)
        assert counter.count == 2 and len(ids) > 1
        for customer_id in ids:
            one = planned.for_customer(customer_id)
            assert (plans[customer_id].active, plans[customer_id].dates) == (one.active, one.dates)
        assert [c for c in ids if plans[c].active] == [Invoice.get(Invoice.number.endswith("02135")).customer_id]
        database.close()
