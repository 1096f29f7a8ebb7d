"""Property-based: whatever staff type into the billing forms and the invoice list's filters, never a 500."""

import pytest
from conftest import csrf_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marina_portal.billing import invoicing
from marina_portal.core.db import database
from marina_portal.models import Customer, Invoice, Port

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ANSWERS = (200, 303, 400, 422)  # 400: a NUL character, refused before any view


@pytest.fixture
def ids(app, auth):
    auth.staff(role="admin")
    with app.app_context():
        port = Port.current()
        port.siren, port.vat_number = "732829320", "FR44732829320"
        port.save()
        customer = Customer.get(Customer.code == "C0001")
        issued = invoicing.issue(invoicing.create_draft(None, customer, "x", [invoicing.Line("Grutage", 1000, 15000)]))
        line_id = Invoice.get_by_id(issued.id).lines[0].id
        database.close()
    return {"customer": customer.id, "invoice": issued.id, "line": line_id}


def _post(client, page, action, fields):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data=dict(fields, csrf_token=token)).status_code


@FUZZ
@given(siren=text, siret=text, vat=text, days=text, regime=text)
def test_settings_identity_never_fails(client, ids, siren, siret, vat, days, regime):
    fields = dict(name="P", code="P", siren=siren, siret=siret, vat_number=vat, payment_days=days, vat_regime=regime)
    assert _post(client, "/staff/settings", "/staff/settings", fields) in ANSWERS


@FUZZ
@given(mode=st.sampled_from(["whole", "lines", "amount", "x"]), amount=text, qty=text, reason=text)
def test_credit_note_form_never_fails(client, ids, mode, amount, qty, reason):
    url = f"/staff/invoices/{ids['invoice']}"
    fields = {"mode": mode, "credit_amount": amount, f"qty-{ids['line']}": qty, "reason": reason, "vat_rate": "2000"}
    assert _post(client, url, f"{url}/credit-notes", fields) in ANSWERS


@FUZZ
@given(amount=text, day=text, reference=text)
def test_refund_form_never_fails(client, ids, amount, day, reference):
    url = f"/staff/invoices/{ids['invoice']}"
    assert (
        _post(client, url, f"{url}/refunds", dict(refund_amount=amount, paid_on=day, refund_how=reference)) in ANSWERS
    )


@FUZZ
@given(quantity=text, price=text, start=text, end=text)
def test_invoice_lines_never_fail(client, ids, quantity, price, start, end):
    url = f"/staff/customers/{ids['customer']}/invoices/new"
    fields = {
        "issued_on": "2026-03-01",
        "label": "Essai",
        "service_from": start,
        "service_to": end,
        "lines-0-description": "Eau",
        "lines-0-quantity": quantity,
        "lines-0-unit_price": price,
        "lines-0-vat_rate": "2000",
    }
    assert _post(client, url, url, fields) in ANSWERS


@FUZZ
@given(kind=text, siren=text, vat=text, email=text)
def test_business_customer_form_never_fails(client, ids, kind, siren, vat, email):
    url = f"/staff/customers/{ids['customer']}/edit"
    fields = dict(last_name="DUPONT", kind=kind, company_name="X", siren=siren, vat_number=vat, billing_email=email)
    assert _post(client, url, url, fields) in ANSWERS


@FUZZ
@given(state=text, start=text, end=text, category=text, customer=text, sort=text, order=text, page=text)
def test_invoice_list_filters_never_fail(client, ids, state, start, end, category, customer, sort, order, page):
    query = dict(state=state, to=end, category=category, customer=customer, sort=sort, order=order, page=page)
    query["from"] = start
    for url in ("/staff/invoices", "/staff/invoices.csv"):
        assert client.get(url, query_string=query).status_code in (200, 400)
