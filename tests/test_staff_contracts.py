"""Contracts from the harbour office: create, change (revision up), send for signature, versioned terms."""

import pytest

from marina_portal.core.formats import paris_today
from marina_portal.models import AuditLog, Berth, Boat, Contract, ContractTerms, Customer

YEAR = paris_today().year


@pytest.fixture
def staff(auth):
    auth.staff(role="agent")


def ids(app):
    with app.app_context():
        martin = Customer.get(Customer.code == "C0002")
        return martin.id, Boat.get(Boat.code == "B0002").id, Berth.get(Berth.code == "A-07").id


def test_create_then_edit_a_contract(app, client, staff, form_post):
    customer_id, boat_id, berth_id = ids(app)
    fields = dict(
        number=f"{YEAR}-0100",
        contract_type="Annuel",
        boat=str(boat_id),
        berth=str(berth_id),
        starts_on=f"{YEAR}-04-01",
        ends_on=f"{YEAR}-09-30",
        price="1 200,00",
        payment_terms="À réception",
    )
    response = form_post(f"/staff/customers/{customer_id}/contracts/new", **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        contract = Contract.get(Contract.number == f"{YEAR}-0100")
        assert (contract.status, contract.price_cents, contract.berth_id, contract.revision) == (
            "draft",
            120000,
            berth_id,
            1,
        )
        assert contract.terms.contract_type == "Annuel"
    response = form_post(f"/staff/contracts/{contract.id}/edit", **dict(fields, price="1 250,00"))
    assert response.status_code == 303
    with app.app_context():
        contract = Contract.get_by_id(contract.id)
        assert contract.price_cents == 125000 and contract.revision == 2
        assert AuditLog.select().where(AuditLog.action.startswith("contract.")).count() == 2


def test_contract_refusals(app, client, staff, form_post):
    customer_id, _, _ = ids(app)
    with app.app_context():
        other_boat = Boat.get(Boat.code == "B0001").id
    url = f"/staff/customers/{customer_id}/contracts/new"
    base = dict(
        number=f"{YEAR}-0101", contract_type="Annuel", starts_on=f"{YEAR}-04-01", ends_on=f"{YEAR}-09-30", price="100"
    )
    assert "un bateau de ce client" in form_post(url, **dict(base, boat=str(other_boat))).get_data(as_text=True)
    assert "précède" in form_post(url, **dict(base, ends_on=f"{YEAR}-01-01")).get_data(as_text=True)
    assert "déjà utilisé" in form_post(url, **dict(base, number=f"{YEAR}-0043")).get_data(as_text=True)
    with app.app_context():
        Contract.update(status="signed").where(Contract.number == f"{YEAR}-0043").execute()
        signed = Contract.get(Contract.number == f"{YEAR}-0043")
    response = form_post(f"/staff/contracts/{signed.id}/edit", **dict(base, number=f"{YEAR}-0043"))
    assert "ne peut plus être modifié" in response.get_data(as_text=True)
    with app.app_context():
        assert Contract.select().count() == 2


def test_send_for_signature_mails_the_boater(app, client, staff, form_post, mailbox):
    with app.app_context():
        contract = Contract.get(Contract.number == f"{YEAR}-0042")
    response = form_post(f"/staff/customers/{contract.customer_id}", f"/staff/contracts/{contract.id}/send")
    assert response.status_code == 303
    text = mailbox.text(mailbox.last("jean.dupont@example.com"))
    assert f"Votre contrat {YEAR}-0042" in text and "CONTRAT" in text
    with app.app_context():
        assert Contract.get_by_id(contract.id).sent_at is not None
    with app.app_context():
        martin = Contract.get(Contract.number == f"{YEAR}-0043")
    form_post(f"/staff/customers/{martin.customer_id}", f"/staff/contracts/{martin.id}/send")
    html = client.get(f"/staff/customers/{martin.customer_id}").get_data(as_text=True)
    assert "pas d&#39;adresse mail" in html


def test_new_terms_version(app, client, staff, form_post):
    response = form_post("/staff/terms", contract_type="Annuel", body="Article 1 – Nouveau texte.")
    assert response.status_code == 303
    with app.app_context():
        port_terms = ContractTerms.latest(Customer.get(Customer.code == "C0001").port, "Annuel")
        assert port_terms.version == 2 and port_terms.body == "Article 1 – Nouveau texte."
        assert Contract.get(Contract.number == f"{YEAR}-0042").terms.version == 1
    assert "version 2" in client.get("/staff/terms").get_data(as_text=True)


def test_staff_choose_a_payment_schedule_per_contract(app, client, staff, form_post):
    with app.app_context():
        contract = Contract.get(Contract.number == f"{YEAR}-0042")
    page = client.get(f"/staff/customers/{contract.customer_id}").get_data(as_text=True)
    assert "10 prélèvements mensuels" in page and "3 paiements par carte" in page
    url = f"/staff/contracts/{contract.id}/payment-schedule"
    response = form_post(f"/staff/customers/{contract.customer_id}", url, payment_schedule="debit_10")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "échéancier « 10 prélèvements mensuels » enregistré" in page
    with app.app_context():
        saved = Contract.get_by_id(contract.id)
        assert saved.payment_schedule == "debit_10" and saved.revision == contract.revision  # no new signature
        entry = AuditLog.get(AuditLog.action == "contract.payment_schedule")
        assert "once" in entry.before and "debit_10" in entry.after
    response = form_post(f"/staff/customers/{contract.customer_id}", url, payment_schedule="debit_12")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choisissez un échéancier : « En une fois », « 3 prélèvements mensuels »" in page
    with app.app_context():
        assert Contract.get_by_id(contract.id).payment_schedule == "debit_10"
    assert client.post(url, data={"payment_schedule": "once"}).status_code in (303, 400)  # no CSRF token: no change
    with app.app_context():
        assert Contract.get_by_id(contract.id).payment_schedule == "debit_10"


def test_a_cancelled_contract_keeps_its_payment_schedule(app, client, staff, form_post):
    with app.app_context():
        contract = Contract.get(Contract.number == f"{YEAR}-0042")
        Contract.update(status="cancelled").where(Contract.id == contract.id).execute()
    url = f"/staff/contracts/{contract.id}/payment-schedule"
    response = form_post(f"/staff/customers/{contract.customer_id}", url, payment_schedule="debit_3")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ce contrat est annulé : son échéancier ne se modifie plus." in page
    with app.app_context():
        assert Contract.get_by_id(contract.id).payment_schedule == "once"
    assert (
        form_post(
            f"/staff/customers/{contract.customer_id}",
            "/staff/contracts/999999/payment-schedule",
            payment_schedule="debit_3",
        ).status_code
        == 404
    )
