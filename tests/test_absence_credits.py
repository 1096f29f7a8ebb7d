"""The absence credit deducted from the next invoice: staff form, import, letting, cancellation, card, races."""

import datetime as dt
import re
import subprocess

import pytest
from conftest import Auth, at_once, csrf_token

from marina_portal.billing import absence_credits, invoicing
from marina_portal.core.db import counting_queries, database
from marina_portal.core.formats import paris_today
from marina_portal.imports import importing
from marina_portal.models import Absence, AuditLog, BerthLetting, Contract, Customer, Invoice, Payment, Port
from marina_portal.port_life import absences

TODAY = paris_today()
YEAR = TODAY.year


def _text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).replace("&#39;", "'")


def earn(app, cents, code="C0001"):
    """Staff record a one-night letting on the customer's berth that earns exactly `cents` of credit."""
    with app.test_request_context():
        Port.update(absence_credit_mode="per_night", absence_credit_value=cents).execute()
        contract = Contract.select().join(Customer).where(Customer.code == code).first()
        start = TODAY + dt.timedelta(days=2 + Absence.select().count() * 3)
        absence = Absence.create(contract=contract, starts_on=start, ends_on=start + dt.timedelta(days=2))
        letting = absences.record_letting(absence.id, start, start + dt.timedelta(days=1), 5000, None)
        database.close()
    return letting


def new_invoice(app, number, total_cents, issued_on=TODAY, code="C0001"):
    """An invoice made by the staff's domain function (one line at 0 % VAT, so the total is exact)."""
    with app.app_context():
        customer = Customer.get(Customer.code == code)
        invoice = invoicing.create_invoice(
            None,
            customer,
            number,
            issued_on,
            None,
            "Facture de prestation",
            [invoicing.Line("Prestation", 1000, total_cents, 0)],
        )
        database.close()
    return invoice


def state(app, number):
    """(total, paid, balance, absence credit deducted) of an invoice."""
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.number == number).get()
        credit = sum(
            p.amount_cents for p in invoice.payments if p.method == "absence_credit" and p.cancelled_at is None
        )
        database.close()
    return invoice.total_cents, invoice.paid_cents, invoice.balance_cents, credit


def available(app, code="C0001"):
    with app.app_context():
        cents = absence_credits.available_cents(Customer.get(Customer.code == code))
        database.close()
    return cents


def test_credit_then_a_new_invoice_from_the_staff_form(app, client, auth, tmp_path):
    earn(app, 12000)
    assert available(app) == 12000
    staff = app.test_client()
    staff_auth = Auth(app, staff)
    staff_auth.create_staff(role="agent")
    staff_auth.login("agent@example.com")
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0001").id
    url = f"/staff/customers/{customer_id}/invoices/new"
    page = staff.get(url).get_data(as_text=True)
    response = staff.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "number": f"{YEAR}/07001",
            "issued_on": TODAY.isoformat(),
            "label": "Facture de prestation",
            "lines-0-description": "Grutage",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "250,00",
            "lines-0-vat_rate": "2000",
        },
    )
    assert response.status_code == 303
    shown = _text(staff.get(response.headers["Location"]))
    assert f"Facture {YEAR}/07001 créée. Crédit absence déduit : 120,00 €." in shown
    assert "Crédit absence déduit 120,00 €" in shown and "Solde 180,00 €" in shown
    assert state(app, f"{YEAR}/07001") == (30000, 12000, 18000, 12000)
    assert state(app, f"{YEAR}/02135")[2] == 85000  # the January invoice came before the credit
    assert available(app) == 0
    with app.app_context():
        entry = AuditLog.get(AuditLog.action == "payment.absence_credit")
        assert '"amount_cents": 12000' in entry.after and '"method": "absence_credit"' in entry.after

    auth.boater("C0001")
    account = _text(client.get("/account/"))
    row = rf"{YEAR}/07001 \S+ 300,00 € 120,00 € dont crédit absence déduit : 120,00 € 180,00 €"
    assert re.search(row, account)
    assert "Total factures 1 998,00 €" in account and "Total règlements 968,00 €" in account
    assert "Total factures - Total règlements 1 030,00 €" in account
    assert "Crédit disponible" not in account
    client.post(
        "/language",
        data={
            "csrf_token": csrf_token(client.get("/account/").get_data(as_text=True)),
            "language": "en",
            "next": "/account/",
        },
    )
    assert "of which absence credit deducted: 120,00 €" in _text(client.get("/account/"))

    with app.app_context():
        invoice_id = Invoice.get(Invoice.number == f"{YEAR}/07001").id
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(client.get(f"/account/invoices/{invoice_id}/pdf").data)
    text = re.sub(
        r"\s+",
        " ",
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout,
    )
    assert "Crédit absence déduit" in text and "Solde à régler 180,00 €" in text


def test_an_invoice_dated_before_the_credit_does_not_take_it(app):
    earn(app, 5000)
    new_invoice(app, f"{YEAR}/07002", 20000, issued_on=TODAY - dt.timedelta(days=3))
    assert state(app, f"{YEAR}/07002")[3] == 0 and available(app) == 5000
    new_invoice(app, f"{YEAR}/07003", 20000)  # the next one takes it
    assert state(app, f"{YEAR}/07003") == (20000, 5000, 15000, 5000) and available(app) == 0


def test_credit_larger_than_the_invoice_carries_over_to_the_following(app, client, auth):
    earn(app, 50000)
    new_invoice(app, f"{YEAR}/07010", 20000)
    assert state(app, f"{YEAR}/07010") == (20000, 20000, 0, 20000)
    assert available(app) == 30000
    new_invoice(app, f"{YEAR}/07011", 45000)
    assert state(app, f"{YEAR}/07011") == (45000, 30000, 15000, 30000)
    assert available(app) == 0
    new_invoice(app, f"{YEAR}/07012", 1000)
    assert state(app, f"{YEAR}/07012")[3] == 0
    auth.boater("C0001")
    html = client.get("/account/").get_data(as_text=True)
    assert html.count(">règlement<") == 3  # 02135, 07011, 07012; 07010 is settled by the credit


def test_credit_earned_while_an_open_invoice_exists(app, mailbox):
    new_invoice(app, f"{YEAR}/07020", 40000)
    assert state(app, f"{YEAR}/07020")[3] == 0
    letting = earn(app, 15000)
    assert [p.amount_cents for p in letting.deducted] == [15000]
    assert state(app, f"{YEAR}/07020") == (40000, 15000, 25000, 15000)
    assert state(app, f"{YEAR}/02135")[2] == 85000 and available(app) == 0
    text = mailbox.text(mailbox.last("jean.dupont@example.com"))
    assert f"150,00 € ont été déduits du solde de la facture {YEAR}/07020." in text


def test_cancelling_the_credit_payment_gives_the_credit_back(app, client, auth, form_post):
    earn(app, 10000)
    new_invoice(app, f"{YEAR}/07030", 30000)
    with app.app_context():
        payment = Payment.get(Payment.method == "absence_credit")
    auth.staff(role="agent")
    url = f"/staff/invoices/{payment.invoice_id}"
    response = form_post(url, f"/staff/payments/{payment.id}/cancel", reason="Crédit à reporter")
    assert response.status_code == 303
    assert state(app, f"{YEAR}/07030") == (30000, 0, 30000, 0)
    assert available(app) == 10000
    with app.app_context():
        assert absence_credits.apply() == []  # staff took it off this invoice: it is not put back
        database.close()
    new_invoice(app, f"{YEAR}/07031", 8000)
    assert state(app, f"{YEAR}/07031") == (8000, 8000, 0, 8000) and available(app) == 2000
    dashboard = _text(client.get("/staff/"))
    assert "Crédits absence déduits : 80,00 €" in dashboard
    listed = _text(client.get("/staff/payments"))
    assert "dont 80,00 € non encaissés" in listed and "Crédit absence déduit" in listed


def test_two_concurrent_applications_deduct_once(app):
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        contract = Contract.get(Contract.customer == customer)
        absence = Absence.create(contract=contract, starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=3))
        for n in range(5):  # written directly, so nothing is deducted yet
            BerthLetting.create(
                absence=absence,
                starts_on=TODAY,
                ends_on=TODAY + dt.timedelta(days=1),
                revenue_cents=0,
                credit_cents=7000,
            )
            Invoice.create(
                port=customer.port_id, customer=customer, number=f"{YEAR}/0705{n}", issued_on=TODAY, total_cents=10000
            )
        database.close()
    results = at_once(app, *[lambda: absence_credits.apply([customer.id])] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    with app.app_context():
        credited = [
            p.amount_cents for p in Payment.select().where(Payment.method == "absence_credit").order_by(Payment.id)
        ]
        database.close()
    assert credited == [10000, 10000, 10000, 5000]  # 35 000 spread once, oldest invoice first
    assert available(app) == 0 and state(app, f"{YEAR}/07053")[2] == 5000


def test_import_of_invoices_deducts_the_credit_in_one_pass(app):
    earn(app, 30000)
    today = TODAY.strftime("%d/%m/%Y")
    lines = ["code;number;customer_code;issued_on;total;label"]
    lines += [f"F{n};{YEAR}/8{n:04d};C0002;{today};100,00;Facture" for n in range(10)]
    lines += [
        f"J1;{YEAR}/90001;C0001;{today};200,00;Facture",
        f"J2;{YEAR}/90002;C0001;{today};200,00;Facture",
        f"J0;{YEAR}/90000;C0001;01/01/{YEAR};200,00;Facture ancienne",
    ]
    with app.app_context(), counting_queries() as small:
        report = importing.run(None, Port.current(), "invoices", "\n".join(lines).encode())
    assert report.applied and report.created == 13 and report.credits == 2
    assert state(app, f"{YEAR}/90001")[3] == 20000 and state(app, f"{YEAR}/90002")[3] == 10000
    assert state(app, f"{YEAR}/90000")[3] == 0 and available(app) == 0
    many = ["code;number;customer_code;issued_on;total;label"]
    many += [f"G{n};{YEAR}/7{n:04d};C0002;{today};100,00;Facture" for n in range(400)]
    with app.app_context(), counting_queries() as large:
        report = importing.run(None, Port.current(), "invoices", "\n".join(many).encode())
    assert report.applied and report.created == 400 and report.credits == 0
    assert large.count <= small.count  # no query per line for the credit


def test_account_page_queries_stay_constant_with_credits(app, client, auth, caplog):
    import logging

    def count():
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            assert client.get("/account/").status_code == 200
        return len([r for r in caplog.records if r.name == "peewee"])

    earn(app, 1000)
    new_invoice(app, f"{YEAR}/07100", 1000)
    auth.boater("C0001")
    one = count()
    for n in range(1, 12):
        earn(app, 1000)
        new_invoice(app, f"{YEAR}/071{n:02d}", 1000)  # each settled by its credit
    many = count()
    assert client.get("/account/").get_data(as_text=True).count("dont crédit absence déduit") == 12
    assert one == many


@pytest.fixture
def bank_app(make_app):
    app = make_app(MONETICO_SANDBOX=True)
    yield app
    if not database.is_closed():
        database.close()


def test_card_payment_asks_the_bank_for_the_balance_after_credit(bank_app):
    from payments_support import OK, bank_form, notification, notify

    app = bank_app
    earn(app, 20000)
    invoice = new_invoice(app, f"{YEAR}/07200", 50000)
    client = app.test_client()
    Auth(app, client).boater("C0001")
    url = f"/payment/invoices/{invoice.id}"
    page = client.get(url).get_data(as_text=True)
    assert "300,00 €" in _text(client.get(url))
    response = client.post(url, data={"csrf_token": csrf_token(page), "receipt_email": "jean.dupont@example.com"})
    _, fields = bank_form(response.get_data(as_text=True))
    assert fields["montant"] == "300.00EUR"
    assert notify(app.test_client(), notification(fields["reference"], montant="300.00EUR")) == OK
    assert state(app, f"{YEAR}/07200") == (50000, 50000, 0, 20000)


def test_direct_debit_collects_the_balance_after_credit_and_a_return_lets_the_credit_in(app, runner, tmp_path):
    from test_sepa_export import add_mandate, export, parse

    from marina_portal.sepa import collection

    earn(app, 20000)
    new_invoice(app, f"{YEAR}/07300", 50000)
    add_mandate(app)
    result, xml = export(runner, tmp_path)
    assert result.exit_code == 0, result.output
    [debit] = parse(xml, "pain.008.001.08")
    assert debit["amount"] == "1150.00"  # 850,00 left on the January invoice + 300,00 after the credit
    earn(app, 10000)  # the debit is collecting the new invoice's balance: the credit waits
    assert state(app, f"{YEAR}/07300") == (50000, 50000, 0, 20000) and available(app) == 10000
    with app.app_context():
        collection.record_return(debit["e2e"], "AM04")
        absence_credits.apply()  # the nightly pass
        database.close()
    assert state(app, f"{YEAR}/07300") == (50000, 30000, 20000, 30000) and available(app) == 0
    assert state(app, f"{YEAR}/02135")[2] == 85000


def test_a_card_payment_under_way_keeps_the_credit_off_its_invoice(bank_app):
    from payments_support import OK, bank_form, notification, notify

    app = bank_app
    invoice = new_invoice(app, f"{YEAR}/07400", 50000)
    client = app.test_client()
    Auth(app, client).boater("C0001")
    url = f"/payment/invoices/{invoice.id}"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client.get(url).get_data(as_text=True)),
            "receipt_email": "jean.dupont@example.com",
        },
    )
    _, fields = bank_form(response.get_data(as_text=True))
    earn(app, 20000)  # the bank was asked for 500,00: deducting now would make the balance negative
    assert state(app, f"{YEAR}/07400")[3] == 0 and available(app) == 20000
    assert notify(app.test_client(), notification(fields["reference"], montant="500.00EUR")) == OK
    assert state(app, f"{YEAR}/07400") == (50000, 50000, 0, 0)
    new_invoice(app, f"{YEAR}/07401", 15000)  # the credit goes to the following invoice
    assert state(app, f"{YEAR}/07401") == (15000, 15000, 0, 15000) and available(app) == 5000


def test_staff_who_record_a_letting_see_where_the_credit_went(app, client, auth, form_post):
    new_invoice(app, f"{YEAR}/07500", 40000)
    with app.app_context():
        Port.update(absence_credit_mode="percent", absence_credit_value=50).execute()
        contract = Contract.select().join(Customer).where(Customer.code == "C0001").first()
        absence = Absence.create(contract=contract, starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=4))
        database.close()
    auth.staff()
    response = form_post(
        f"/staff/port/absences/{absence.id}/letting",
        starts_on=TODAY.isoformat(),
        ends_on=(TODAY + dt.timedelta(days=2)).isoformat(),
        revenue="90,00",
    )
    assert response.status_code == 303
    page = _text(client.get(response.headers["Location"]))
    assert f"Crédit absence déduit de la facture {YEAR}/07500 : 45,00 €." in page
    assert state(app, f"{YEAR}/07500") == (40000, 4500, 35500, 4500)
