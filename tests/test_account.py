"""COMPTE CLIENT: the tutorial's columns and totals, invoice PDFs, constant queries, another boater's ids."""

import datetime as dt
import logging
import re
import subprocess

import pytest

from marina_portal.core.db import database
from marina_portal.models import Customer, Invoice, Payment, PaymentAttempt, Port


def _text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def invoice_id(app, suffix):
    with app.app_context():
        found = Invoice.get(Invoice.number.endswith(suffix)).id
        database.close()
    return found


def test_account_shows_the_tutorial_figures(client, auth):
    auth.boater("C0001")
    response = client.get("/account/")
    assert response.status_code == 200
    text = _text(response)
    for heading in ("N° Facture", "Date", "Montant T.T.C", "Réglé", "Solde", "Libellé"):
        assert heading in text
    year = dt.date.today().year
    assert re.search(rf"{year}/02135 15/01/{year} 1 520,00 € 670,00 € 850,00 € Facture de contrat Annuel", text)
    assert re.search(rf"{year}/02235 20/01/{year} 178,00 € 178,00 € 0,00 € Facture de prestation", text)
    assert "Total factures 1 698,00 €" in text
    assert "Total règlements 848,00 €" in text
    assert "Total factures - Total règlements 850,00 €" in text
    html = response.get_data(as_text=True)
    assert html.count(">règlement<") == 1  # only the invoice with a balance
    assert html.count(">PDF<") == 2


def test_account_needs_a_boater_login(client, auth):
    assert client.get("/account/").status_code == 302
    auth.staff()
    assert client.get("/account/").status_code == 403


def _count_queries(client, caplog, url):
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        assert client.get(url).status_code == 200
    return len([r for r in caplog.records if r.name == "peewee"])


def test_account_page_runs_a_constant_number_of_queries(app, client, auth, caplog):
    with app.app_context():
        port = Port.current()
        customer = Customer.create(
            port=port, code="C0009", last_name="NOUVEAU", first_name="PAUL", email="paul@example.com"
        )
        Invoice.create(
            port=port,
            customer=customer,
            number="X/0000",
            issued_on=dt.date(2026, 3, 1),
            label="Facture de prestation",
            total_cents=1000,
        )
        database.close()
    auth.boater("C0009")
    one = _count_queries(client, caplog, "/account/")
    with app.app_context():
        for n in range(1, 26):
            invoice = Invoice.create(
                port=port,
                customer=customer,
                number=f"X/{n:04d}",
                issued_on=dt.date(2026, 3, 1),
                label="Facture",
                total_cents=1000 + n,
            )
            Payment.create(invoice=invoice, method="cheque", amount_cents=500, received_on=dt.date(2026, 3, 2))
        database.close()
    many = _count_queries(client, caplog, "/account/")
    text = client.get("/account/").get_data(as_text=True)
    assert "X/0025" in text and text.count(">règlement<") == 26
    assert 0 < one == many


def test_invoice_pdf(app, client, auth, tmp_path):
    auth.boater("C0001")
    response = client.get(f"/account/invoices/{invoice_id(app, '02135')}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "invoice.pdf"
    path.write_bytes(response.data)
    text = re.sub(
        r"\s+",
        " ",
        subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout,
    )
    year = dt.date.today().year
    for expected in (
        "PORT SAINTE MARIE LA MER",
        "DUPONT JEAN",
        "10, RUE DU MARCHÉ",
        f"{year}/02135",
        f"15/01/{year}",
        f"14/02/{year}",
        "20 %",
        "Total HT",
        "1 266,67 €",
        "Total TVA",
        "253,33 €",
        "Total TTC",
        "1 520,00 €",
        "Chèque",
        "670,00 €",
        "850,00 €",
    ):
        assert expected in text, expected


def test_another_boaters_invoice_is_not_found(app, client, auth):
    auth.boater("C0001")
    other = invoice_id(app, "02301")  # SOPHIE MARTIN's
    assert client.get(f"/account/invoices/{other}/pdf").status_code == 404
    assert client.get(f"/payment/invoices/{other}").status_code == 404
    page = client.get(f"/payment/invoices/{invoice_id(app, '02135')}").get_data(as_text=True)
    from conftest import csrf_token

    response = client.post(
        f"/payment/invoices/{other}", data={"csrf_token": csrf_token(page), "receipt_email": "x@example.com"}
    )
    assert response.status_code == 404
    assert client.get("/account/invoices/999999/pdf").status_code == 404


@pytest.mark.parametrize("suffix", ["02235"])
def test_paid_invoice_has_no_payment_page(app, client, auth, suffix):
    auth.boater("C0001")
    response = client.get(f"/payment/invoices/{invoice_id(app, suffix)}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/account/")


def test_a_card_payment_awaiting_the_bank_is_shown(app, client, auth):
    auth.boater("C0001")
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith("02135"))
        PaymentAttempt.create(invoice=invoice, customer=invoice.customer_id, reference="R1", amount_cents=85000)
        database.close()
    text = _text(client.get("/account/"))
    assert "en attente de la banque" in text and "Solde" in text and "850,00 €" in text
