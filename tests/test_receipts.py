"""Receipts for every payment, the yearly statement, each only to its boater; the office's cheque deposit slip."""

import io
import re

from conftest import Auth, csrf_token
from pypdf import PdfReader

from marina_portal.core.db import database
from marina_portal.models import AuditLog, ChequeDepositItem, Customer, Invoice, Payment


def pdf_text(data):
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def _payments(app, customer_code):
    with app.app_context():
        rows = list(
            Payment.select().join(Invoice).join(Customer).where(Customer.code == customer_code).order_by(Payment.id)
        )
        database.close()
    return rows


def _add_payment(app, suffix, method, amount, reference=""):
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith(suffix))
        payment = Payment.create(
            invoice=invoice, method=method, amount_cents=amount, received_on=invoice.issued_on, reference=reference
        )
        database.close()
    return payment


def test_boater_downloads_a_receipt_for_every_kind_of_payment(app, client, auth):
    card = _add_payment(app, "02135", "card", 10000, "2026X")
    debit = _add_payment(app, "02135", "direct_debit", 20000)
    credit = _add_payment(app, "02135", "absence_credit", 3000)
    auth.boater()
    listing = client.get("/account/receipts/").get_data(as_text=True)
    assert "Attestation" in listing
    cheque = _payments(app, "C0001")[0]
    text = pdf_text(client.get(f"/account/receipts/{cheque.id}.pdf").data)
    assert "Reçu de paiement n° R%07d" % cheque.id in text and "670,00 €" in text and "Chèque" in text
    assert "JEAN" in text and "02135" in text and "sous réserve d'encaissement" in text
    for payment, words in ((card, "Carte bancaire"), (debit, "Prélèvement SEPA"), (credit, "Crédit absence déduit")):
        response = client.get(f"/account/receipts/{payment.id}.pdf")
        assert response.status_code == 200 and words in pdf_text(response.data)
    assert "COMPTE CLIENT" in client.get("/account/").get_data(as_text=True)
    assert "/account/receipts/" in client.get("/account/").get_data(as_text=True)


def test_yearly_statement_lists_the_years_payments(app, client, auth):
    auth.boater()
    year = _payments(app, "C0001")[0].received_on.year
    text = pdf_text(client.get(f"/account/receipts/attestation-{year}.pdf").data)
    assert f"Attestation de paiement — année {year}" in text
    assert "848,00 €" in text  # 670,00 € by cheque and 178,00 € by transfer
    assert client.get(f"/account/receipts/attestation-{year - 5}.pdf").status_code == 404


def test_another_boaters_receipts_are_not_found(app, client, auth):
    martin_payment = _add_payment(app, "02301", "cheque", 5000)
    dupont_payment = _payments(app, "C0001")[0]
    cancelled = _add_payment(app, "02135", "cash", 100)
    with app.app_context():
        Payment.update(cancelled_at=dupont_payment.created_at).where(Payment.id == cancelled.id).execute()
        database.close()
    auth.boater()
    assert client.get(f"/account/receipts/{dupont_payment.id}.pdf").status_code == 200
    assert client.get(f"/account/receipts/{martin_payment.id}.pdf").status_code == 404
    assert client.get(f"/account/receipts/{cancelled.id}.pdf").status_code == 404
    assert client.get("/account/receipts/999999.pdf").status_code == 404
    sophie = app.test_client()
    other = Auth(app, sophie)
    other.create_boater("C0002", email="sophie@example.com")
    other.login("sophie@example.com")
    assert sophie.get(f"/account/receipts/{dupont_payment.id}.pdf").status_code == 404
    assert sophie.get(f"/account/receipts/{martin_payment.id}.pdf").status_code == 200
    year = dupont_payment.received_on.year
    assert "848,00" not in pdf_text(sophie.get(f"/account/receipts/attestation-{year}.pdf").data)
    assert app.test_client().get(f"/account/receipts/{dupont_payment.id}.pdf").status_code == 302  # anonymous
    with app.app_context():
        dupont_id = Customer.get(Customer.code == "C0001").id
    assert sophie.get(f"/account/receipts/customers/{dupont_id}/attestation-{year}.pdf").status_code == 404
    assert client.get(f"/account/receipts/customers/{dupont_id}/attestation-{year}.pdf").status_code == 200


def test_staff_cheque_deposit_slip(app, client, auth):
    _add_payment(app, "02301", "cheque", 50000, "Chèque n° 7654321")
    auth.staff()
    page = client.get("/staff/cheque-deposits")
    text = page.get_data(as_text=True)
    assert "Chèque n° 1234567" in text and "Chèque n° 7654321" in text
    ids = [p.id for p in _payments(app, "C0001") + _payments(app, "C0002") if p.method == "cheque"]
    response = client.post(
        "/staff/cheque-deposits",
        data={"csrf_token": csrf_token(text), "payment": [str(i) for i in ids], "deposited_on": "03/02/2026"},
    )
    assert response.status_code == 303
    with app.app_context():
        deposit_id = ChequeDepositItem.get().deposit_id
        assert AuditLog.select().where(AuditLog.action == "cheque_deposit.create").exists()
        database.close()
    slip = pdf_text(client.get(f"/staff/cheque-deposits/{deposit_id}.pdf").data)
    assert "Bordereau de remise de chèques" in slip and "1 170,00 €" in slip and "FR7630006000011234567890189" in slip
    assert "DUPONT JEAN" in slip and "MARTIN SOPHIE" in slip and "Nombre de chèques 2" in slip
    # a cheque goes on one slip only
    again = client.post(
        "/staff/cheque-deposits",
        data={"csrf_token": csrf_token(text), "payment": [str(ids[0])], "deposited_on": "04/02/2026"},
    )
    assert again.status_code == 422 and "déjà sur un bordereau" in again.get_data(as_text=True)
    assert "Aucun chèque à remettre" in client.get("/staff/cheque-deposits").get_data(as_text=True)


def test_staff_deposit_bad_inputs(app, client, auth):
    auth.staff()
    text = client.get("/staff/cheque-deposits").get_data(as_text=True)
    for data, words in (
        ({"deposited_on": "demain"}, "date de remise"),
        ({"deposited_on": "03/02/2026"}, "au moins un chèque"),
        ({"deposited_on": "03/02/2026", "payment": ["999999"]}, "rechargez"),
        ({"deposited_on": "03/02/2026", "payment": ["abc"]}, "au moins un chèque"),
    ):
        response = client.post("/staff/cheque-deposits", data=dict(data, csrf_token=csrf_token(text)))
        assert response.status_code == 422 and words in response.get_data(as_text=True), data
    assert client.get("/staff/cheque-deposits/999.pdf").status_code == 404
    assert client.get("/account/receipts/999999.pdf").status_code == 404


def test_staff_receipts_from_the_invoice_page(app, client, auth):
    auth.staff()
    payment = _payments(app, "C0001")[0]
    page = client.get(f"/staff/invoices/{payment.invoice_id}").get_data(as_text=True)
    assert f"/account/receipts/{payment.id}.pdf" in page
    assert client.get(f"/account/receipts/{payment.id}.pdf").data.startswith(b"%PDF")
    year = payment.received_on.year
    statement = f"/account/receipts/customers/{payment.invoice.customer_id}/attestation-{year}.pdf"
    assert "848,00 €" in pdf_text(client.get(statement).data)
