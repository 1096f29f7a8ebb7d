"""Invoices paid in instalments, as the boater sees them: the card asks for the instalments due (not the balance),
COMPTE CLIENT and the payment page show the schedule, and the invoice PDF prints it as its payment terms."""

import datetime as dt
import io
import re

from conftest import csrf_token
from payments_support import OK, balance, bank_form, notification, notify
from pypdf import PdfReader
from test_english import switch
from test_pay_link import _link

from marina_portal.billing import mailing, statement
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Invoice

APP_CONFIG = {"MONETICO_SANDBOX": True}
TODAY = paris_today()


def in_instalments(app, schedule, due_on, suffix="02301"):
    """SOPHIE MARTIN's 2 340,00 € (nothing paid), to be paid as `schedule` from `due_on`."""
    with app.app_context():
        Invoice.update(payment_schedule=schedule, due_on=due_on).where(Invoice.number.endswith(suffix)).execute()
        found = Invoice.get(Invoice.number.endswith(suffix)).id
        database.close()
    return found


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def pay(client, url, amount):
    """Pay through the page at `url` the way the boater does; the bank's form asks for `amount`."""
    page = client.get(url)
    assert f"Total à régler {amount}" in text(page)
    response = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "receipt_email": "s@m.fr"})
    _, fields = bank_form(response.get_data(as_text=True))
    return fields


def test_the_pay_link_asks_for_one_card_instalment_at_a_time(app):
    in_instalments(app, "card_3", TODAY)
    client, link = app.test_client(), _link(app, "02301")
    fields = pay(client, link, "780,00 €")
    assert fields["montant"] == "780.00EUR"
    assert notify(app.test_client(), notification(fields["reference"], montant="780.00EUR")) == OK
    assert balance(app, "02301") == 1560_00
    fields = pay(client, link, "780,00 €")  # the next one, ahead of its date: the link still serves
    assert notify(app.test_client(), notification(fields["reference"], montant="780.00EUR")) == OK
    fields = pay(client, link, "780,00 €")
    assert notify(app.test_client(), notification(fields["reference"], montant="780.00EUR")) == OK
    assert balance(app, "02301") == 0
    assert client.get(link).status_code == 410  # paid: the link is spent


def test_instalments_fallen_due_are_asked_together(app, client, auth):
    invoice_id = in_instalments(app, "card_3", TODAY - dt.timedelta(days=40))
    auth.boater("C0002")
    fields = pay(client, f"/payment/invoices/{invoice_id}", "1 560,00 €")
    assert fields["montant"] == "1560.00EUR"


def test_compte_client_and_the_payment_page_show_the_schedule(app, client, auth):
    invoice_id = in_instalments(app, "card_3", dt.date(TODAY.year, 1, 31))
    auth.boater("C0002")
    account = text(client.get("/account/"))
    assert "Échéancier : 3 paiements par carte" in account
    year = TODAY.year
    february = "29/02" if (year % 4 == 0 and year % 100) or year % 400 == 0 else "28/02"
    assert f"Échéance 1/3 le 31/01/{year} : 780,00 €" in account
    assert f"Échéance 2/3 le {february}/{year} : 780,00 €" in account
    assert "Échéance 3/3 le 31/03" in account
    page = text(client.get(f"/payment/invoices/{invoice_id}"))
    assert "le solde de la facture étant de 2 340,00 €" in page and "Échéance 3/3" in page


def test_the_invoice_pdf_prints_the_schedule_as_payment_terms(app):
    invoice_id = in_instalments(app, "debit_10", dt.date(TODAY.year, 2, 15))
    with app.app_context():
        pdf = statement.invoice_pdf(invoice_id)
        database.close()
    words = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert "Échéancier : 10 prélèvements mensuels, par prélèvement SEPA." in words
    assert f"1/10 15/02/{TODAY.year} 234,00 €" in words and f"10/10 15/11/{TODAY.year} 234,00 €" in words


def test_the_schedule_in_english(app, client, auth):
    in_instalments(app, "debit_3", dt.date(TODAY.year, 3, 10))
    auth.boater("C0002")
    switch(client, "en", "/account/")
    account = text(client.get("/account/"))
    assert "Payment schedule: 3 monthly direct debits" in account
    assert f"Instalment 2/3 on 10/04/{TODAY.year}: 780,00 €" in account


def test_staff_and_the_invoice_mail_show_the_schedule(app, client, auth):
    invoice_id = in_instalments(app, "debit_3", dt.date(TODAY.year, 3, 10), suffix="02135")
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.id == invoice_id).get()
        mail = mailing.invoice_available(invoice)["text"]
        invoice.payment_schedule = "once"
        plain = mailing.invoice_available(invoice)["text"]
        database.close()
    assert "Échéancier : 3 prélèvements mensuels" in mail
    assert f"- Échéance 3/3 le 10/05/{TODAY.year} : 506,66 €" in mail
    assert "Échéancier" not in plain and "\n\n\n" not in plain and "\n\n\n" not in mail
    auth.staff()
    page = text(client.get(f"/staff/invoices/{invoice_id}"))
    assert "Échéancier : 3 prélèvements mensuels" in page
    assert f"Échéance 1/3 le 10/03/{TODAY.year} : 506,68 €" in page


def test_the_home_page_asks_for_the_instalment_due(app, client, auth):
    in_instalments(app, "card_3", TODAY)
    auth.boater("C0002")
    home = text(client.get("/"))
    assert "780,00 € à régler" in home and "2 340,00 € à régler" not in home
