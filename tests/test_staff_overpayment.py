"""A cheque recorded while the boater's card payment is under way: staff are warned, an overpaid invoice is listed."""

from conftest import csrf_token
from payments_support import OK, balance, invoice_id, notification, notify, start_payment

from marina_portal.core.db import database

APP_CONFIG = {"MONETICO_SANDBOX": True}  # the bank sandbox on: MONETICO_URL is its page


def test_a_cheque_during_a_card_payment_is_warned_and_the_excess_listed(app, client, auth, mailbox):
    auth.boater("C0001")
    _, fields = start_payment(client, app)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    auth.staff(role="agent")
    url = f"/staff/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    assert "Paiement par carte en cours" in page and "850,00" in page
    recorded = client.post(
        url + "/payments",
        data={"csrf_token": csrf_token(page), "method": "cheque", "amount": "850,00", "received_on": "2026-12-01"},
    )
    assert recorded.status_code == 303 and balance(app) == 0
    assert "Aucune facture payée en trop" in client.get("/staff/online-payments").get_data(as_text=True)
    assert notify(client, notification(fields["reference"])) == OK  # the bank took the money: it is recorded
    assert balance(app) == -85000
    listing = client.get("/staff/online-payments").get_data(as_text=True)
    assert "Factures payées en trop" in listing and "/02135" in listing
    assert "2 370,00" in listing and "1 520,00" in listing and "850,00" in listing
    assert "Paiement par carte en cours" not in client.get(url).get_data(as_text=True)


def test_the_page_title_is_only_a_title(app, client, auth):
    auth.staff(role="agent")
    html = client.get("/staff/online-payments").get_data(as_text=True)
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "Paiements en ligne à surveiller" in title
    assert html.count("Factures payées en trop</h2>") == 1


def test_cancelled_payments_do_not_count_and_absence_credits_do(app):
    import datetime as dt

    from marina_portal.dashboard.figures import overpaid
    from marina_portal.models import Invoice, Payment, Port, utcnow

    with app.app_context():
        port, day = Port.current(), dt.date(2026, 12, 1)
        cheque_first = Invoice.get(Invoice.number.endswith("/02135"))  # 1 520,00, 670,00 paid by cheque
        Payment.create(
            invoice=cheque_first,
            method="cash",
            amount_cents=100000,
            received_on=day,
            cancelled_at=utcnow(),
            cancel_reason="erreur de saisie",
        )
        Payment.create(invoice=cheque_first, method="card", amount_cents=85000, received_on=day)
        unpaid = Invoice.get(Invoice.number.endswith("/02301"))  # 2 340,00
        Payment.create(invoice=unpaid, method="absence_credit", amount_cents=5000, received_on=day)
        Payment.create(invoice=unpaid, method="transfer", amount_cents=234000, received_on=day)
        assert [(i.number[-5:], i.paid_cents) for i in overpaid(port)] == [("02301", 239000)]
        database.close()


def test_the_watch_page_costs_the_same_however_many_rows(app, client, auth):
    import datetime as dt

    from test_staff_queries import queries

    from marina_portal.models import Customer, Invoice, Payment, PaymentAttempt, Port

    def grow(n):
        with app.app_context():
            port, dupont = Port.current(), Customer.get(Customer.code == "C0001")
            start = Invoice.select().count()
            for i in range(start, start + n):
                invoice = Invoice.create(
                    port=port, customer=dupont, number=f"W{i}", issued_on=dt.date(2026, 3, 1), total_cents=1000
                )
                for method in ("cheque", "card"):
                    Payment.create(invoice=invoice, method=method, amount_cents=1000, received_on=dt.date(2026, 3, 2))
                PaymentAttempt.create(invoice=invoice, customer=dupont, reference=f"R{i}", amount_cents=1000)
            database.close()

    auth.staff(role="agent")
    grow(1)
    few = queries(client, "/staff/online-payments")
    grow(12)
    assert queries(client, "/staff/online-payments") == few
