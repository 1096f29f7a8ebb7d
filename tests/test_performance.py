"""Speed work that must not change answers: compiled queries, row links built once, the invoice PDF cache."""
import datetime as dt

import pytest

from marina_portal.db import Compiled, database
from marina_portal.models import Customer, Invoice, PaymentAttempt, Port, User, utcnow


def test_a_compiled_query_binds_each_calls_arguments(app):
    invoices = Compiled(Invoice, lambda customer_id, since: Invoice.select().where(
        (Invoice.customer == customer_id) & (Invoice.created_at > since)).order_by(Invoice.number))
    long_ago = dt.datetime(2000, 1, 1)
    with app.app_context():
        dupont, martin = (Customer.get(Customer.code == code).id for code in ("C0001", "C0002"))
        assert [i.number[-5:] for i in invoices(dupont, long_ago)] == ["02135", "02235"]
        assert [i.number[-5:] for i in invoices(martin, long_ago)] == ["02301"]
        assert list(invoices(dupont, utcnow() + dt.timedelta(days=1))) == []
        first = invoices.first(dupont, long_ago)
        assert isinstance(first, Invoice) and isinstance(first.issued_on, dt.date)
        assert invoices.first(999999, long_ago) is None
        assert Port.current().code == "STEMARIE66"
        database.close()


def test_a_compiled_query_refuses_arguments_that_are_not_parameters(app):
    ignored = Compiled(User, lambda user_id: User.select().where(User.id == 1))
    with app.app_context():
        with pytest.raises(ValueError):
            list(ignored(2))
        with pytest.raises(TypeError):
            list(Compiled(User, lambda email: User.select().where(User.email == email))("x@example.com"))
        database.close()


def test_account_rows_link_to_their_own_invoice(app, client, auth):
    auth.boater("C0001")
    html = client.get("/account/").get_data(as_text=True)
    with app.app_context():
        for invoice in Invoice.select().join(Customer).where(Customer.code == "C0001"):
            assert f'href="/account/invoices/{invoice.id}/pdf">PDF<span class="visually-hidden"> de la facture ' \
                   f'{invoice.number}</span>' in html
        unpaid = Invoice.get(Invoice.number.endswith("02135"))
        assert f'href="/payment/invoices/{unpaid.id}"' in html
        database.close()


def test_the_awaiting_bank_note_is_only_for_recent_pending_attempts(app, client, auth):
    auth.boater("C0001")
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith("02135"))
        PaymentAttempt.create(invoice=invoice, customer=invoice.customer_id, reference="OLD", amount_cents=85000,
                              created_at=utcnow() - dt.timedelta(hours=2))
        PaymentAttempt.create(invoice=invoice, customer=invoice.customer_id, reference="DONE", amount_cents=85000,
                              status="refused")
        database.close()
    assert "en attente de la banque" not in client.get("/account/").get_data(as_text=True)
    with app.app_context():
        PaymentAttempt.create(invoice=invoice, customer=invoice.customer_id, reference="NEW", amount_cents=85000)
        database.close()
    assert "en attente de la banque" in client.get("/account/").get_data(as_text=True)
