"""Invoices and payments at the harbour office: lines and VAT in cents, cheques, cancellation with a reason."""

import json

import pytest

from marina_portal.billing import invoicing
from marina_portal.core.formats import paris_today
from marina_portal.models import AuditLog, Contract, Customer, Invoice, InvoiceLine, Payment

YEAR = paris_today().year


@pytest.fixture
def staff(auth):
    auth.staff(role="agent")


def invoice_id(app, number):
    with app.app_context():
        return Invoice.get(Invoice.number == number).id


def balance(app, number):
    with app.app_context():
        return Invoice.with_paid().where(Invoice.number == number).get().balance_cents


def test_line_totals_are_rounded_in_cents():
    line = invoicing.Line("Nuitées", 2500, 1999, 2000)  # 2,5 x 19,99 HT at 20 %
    assert line.total_ht_cents == 4998  # 49,975 rounds half up
    assert line.total_vat_cents == 1000  # 9,996
    assert invoicing.totals([line, invoicing.Line("Eau", 1000, 1000, 550)]) == (5998, 1055, 7053)


def test_create_invoice_with_lines_and_vat(app, client, staff, form_post):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0002").id
        contract_id = Contract.get(Contract.number == f"{YEAR}-0043").id
    url = f"/staff/customers/{customer_id}/invoices/new"
    response = form_post(
        url,
        number=f"{YEAR}/09001",
        issued_on=f"{YEAR}-03-01",
        due_on=f"{YEAR}-03-31",
        label="Facture de prestation",
        contract=str(contract_id),
        **{
            "lines-0-description": "Grutage",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "150,00",
            "lines-0-vat_rate": "2000",
            "lines-1-description": "Nuitées visiteur",
            "lines-1-quantity": "2,5",
            "lines-1-unit_price": "19,99",
            "lines-1-vat_rate": "1000",
            "lines-2-description": "",
            "lines-2-unit_price": "",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        invoice = Invoice.get(Invoice.number == f"{YEAR}/09001")
        lines = list(invoice.lines.order_by(InvoiceLine.position))
        assert [(line.total_ht_cents, line.total_vat_cents) for line in lines] == [(15000, 3000), (4998, 500)]
        assert invoice.total_cents == 15000 + 3000 + 4998 + 500 and invoice.contract_id == contract_id
        assert AuditLog.get(AuditLog.action == "invoice.create").object_id == invoice.id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "234,98 €" in html and "Grutage" in html


def test_invoice_refused_without_lines_or_with_a_taken_number(app, client, staff, form_post):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0002").id
    url = f"/staff/customers/{customer_id}/invoices/new"
    response = form_post(url, number="X1", issued_on=f"{YEAR}-03-01", label="Vide")
    assert "Ajoutez au moins une ligne" in response.get_data(as_text=True)
    response = form_post(
        url,
        number=f"{YEAR}/02135",
        issued_on=f"{YEAR}-03-01",
        label="Doublon",
        **{"lines-0-description": "Eau", "lines-0-unit_price": "10"},
    )
    assert "déjà utilisé" in response.get_data(as_text=True)
    with app.app_context():
        other_contract = Contract.get(Contract.number == f"{YEAR}-0042").id
    response = form_post(
        url,
        number="X3",
        issued_on=f"{YEAR}-03-01",
        label="Autre",
        contract=str(other_contract),
        **{"lines-0-description": "Eau", "lines-0-unit_price": "10"},
    )
    assert "Choisissez un contrat de ce client" in response.get_data(as_text=True)
    response = form_post(
        url,
        number="X2",
        issued_on=f"{YEAR}-03-01",
        label="Prix",
        **{"lines-0-description": "Eau", "lines-0-unit_price": "dix euros"},
    )
    assert "Saisissez un prix en euros" in response.get_data(as_text=True)
    with app.app_context():
        assert Invoice.select().count() == 3


def test_record_a_cheque_updates_the_balance(app, client, staff, form_post):
    number = f"{YEAR}/02135"
    url = f"/staff/invoices/{invoice_id(app, number)}"
    response = form_post(
        url,
        f"{url}/payments",
        method="cheque",
        amount="100,00",
        received_on=f"{YEAR}-03-02",
        reference="Chèque n° 7654321",
    )
    assert response.status_code == 303
    assert balance(app, number) == 75000
    html = client.get(url).get_data(as_text=True)
    assert "750,00 €" in html and "Chèque n° 7654321" in html
    with app.app_context():
        entry = AuditLog.get(AuditLog.action == "payment.record")
        assert json.loads(entry.after)["amount_cents"] == 10000 and entry.user.email == "agent@example.com"


@pytest.mark.parametrize(
    "amount, message",
    [("0", "supérieur à zéro"), ("900,00", "dépasse le solde"), ("cent", "Saisissez un montant en euros")],
)
def test_bad_payment_amounts_are_refused(app, client, staff, form_post, amount, message):
    number = f"{YEAR}/02135"
    url = f"/staff/invoices/{invoice_id(app, number)}"
    response = form_post(url, f"{url}/payments", method="cheque", amount=amount, received_on=f"{YEAR}-03-02")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert balance(app, number) == 85000


def test_cancel_a_payment_with_a_reason_keeps_the_row(app, client, staff, form_post):
    number = f"{YEAR}/02135"
    url = f"/staff/invoices/{invoice_id(app, number)}"
    with app.app_context():
        payment_id = Payment.get(Payment.reference == "Chèque n° 1234567").id
    response = form_post(url, f"/staff/payments/{payment_id}/cancel", reason="")
    assert balance(app, number) == 85000
    response = form_post(url, f"/staff/payments/{payment_id}/cancel", reason="Chèque sans provision")
    assert response.status_code == 303
    assert balance(app, number) == 152000
    with app.app_context():
        payment = Payment.get_by_id(payment_id)
        assert payment.cancelled_at is not None and payment.cancel_reason == "Chèque sans provision"
        entry = AuditLog.get(AuditLog.action == "payment.cancel")
        assert json.loads(entry.before)["cancelled_at"] is None
        assert json.loads(entry.after)["cancel_reason"] == "Chèque sans provision"
    response = form_post(url, f"/staff/payments/{payment_id}/cancel", reason="Encore")
    assert "déjà annulé" in client.get(url).get_data(as_text=True)
    assert "Chèque sans provision" in client.get(url).get_data(as_text=True)


def test_payments_received_over_a_period(app, client, staff):
    html = client.get("/staff/payments", query_string={"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}).get_data(
        as_text=True
    )
    assert "Chèque n° 1234567" in html and "Virement DUPONT" in html and "848,00 €" in html
    html = client.get(
        "/staff/payments", query_string={"from": f"01/01/{YEAR}", "to": f"31/12/{YEAR}", "method": "cheque"}
    ).get_data(as_text=True)
    assert "Chèque n° 1234567" in html and "Virement DUPONT" not in html and "670,00 €" in html
    assert client.get("/staff/payments?from=nonsense&method=%3Cscript%3E").status_code == 200
