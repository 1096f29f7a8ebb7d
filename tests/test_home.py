"""The boater's home page says what is owed and what to do next: one card per state, each with its one action,
« Tout est à jour » when nothing is left; its number of queries does not grow with the boater's history."""

import datetime as dt
import re

from marina_portal.boats import changes, papers
from marina_portal.core.db import counting_queries, database
from marina_portal.core.formats import paris_today
from marina_portal.models import (
    Boat,
    Contract,
    Customer,
    Invoice,
    Mandate,
    Payment,
    Port,
    WaitingListApplication,
    utcnow,
)
from marina_portal.port_life import absences
from marina_portal.sepa import collection, mandates

TODAY = paris_today()
YEAR = TODAY.year
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def cards(html):
    """The titles of the home page's cards, in order."""
    section = html.split('id="todo-title"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"\s+", " ", title).strip() for title in re.findall(r"<h3>(.*?)</h3>", section, re.S)]


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def customer_id(app, code="C0001"):
    with app.app_context():
        found = Customer.get(Customer.code == code).id
        database.close()
    return found


def active_mandate(app, code="C0001"):
    with app.app_context():
        customer = Customer.get(Customer.code == code)
        Mandate.create(
            customer=customer,
            rum=mandates.new_rum(Port.current(), customer),
            status="active",
            debtor_name=customer.full_name,
            street=customer.street,
            postcode=customer.postcode,
            town=customer.town,
            iban="FR7630006000011234567890189",
            bic="AGRIFRPPXXX",
            signed_at=utcnow(),
        )
        database.close()


def test_owed_and_to_sign_each_card_with_its_action(app, client, auth):
    auth.boater("C0001")
    html = home(client)
    assert cards(html) == ["850,00 € à régler", f"Votre contrat {YEAR} est à signer", *cards(html)[2:]]
    with app.app_context():
        invoice = Invoice.get(Invoice.number == f"{YEAR}/02135")
        contract = Contract.get(Contract.number == f"{YEAR}-0042")
        database.close()
    assert f'href="/payment/invoices/{invoice.id}">Payer' in html
    assert f'href="/contract/{contract.id}/sign">Signer le contrat' in html
    assert f"Facture {YEAR}/02135 du 15/01/{YEAR}" in html
    assert "Tout est à jour" not in html
    assert "La capitainerie attend votre attestation d'assurance" in cards(html)  # a berth holder without one


def test_an_active_mandate_plans_the_debit_and_offers_no_card(app, client, auth):
    auth.boater("C0001")
    active_mandate(app)
    html = home(client)
    assert "850,00 € à régler" not in html
    assert "Mandat de prélèvement actif" in cards(html)
    assert f"La facture {YEAR}/02135 sera prélevée au prochain prélèvement" in html
    with app.app_context():
        collection_date = TODAY + dt.timedelta(days=20)
        collection.export_batch(Port.current(), collection_date)
        database.close()
    html = home(client)
    assert f"La facture {YEAR}/02135 sera prélevée le {collection_date.strftime('%d/%m/%Y')}." in html
    assert "/payment/invoices/" not in html


def test_all_clear(app, client, auth):
    user = auth.boater("C0001")
    with app.app_context():
        for invoice in Invoice.with_paid().where(Invoice.customer == customer_id(app)):
            if invoice.balance_cents:
                Payment.create(invoice=invoice, method="cheque", amount_cents=invoice.balance_cents, received_on=TODAY)
        Contract.update(status="signed", signed_at=utcnow()).execute()
        papers.add(
            user.id, Customer.get_by_id(customer_id(app)), "insurance", PDF, "a.pdf", TODAY + dt.timedelta(days=90)
        )
        database.close()
    html = home(client)
    assert cards(html) == ["Tout est à jour"]
    assert "Rien à régler ni à signer pour le moment." in html


def test_what_waits_for_the_office_and_the_waiting_list(app, client, auth):
    user = auth.boater("C0001")
    with app.test_request_context():
        boat = Boat.get(Boat.code == "B0001")
        changes.propose(user.id, boat, {name: getattr(boat, name) for name in changes.BOAT_FACTS} | {"length_cm": 990})
        contract = Contract.get(Contract.number == f"{YEAR}-0042")
        Contract.update(ends_on=TODAY + dt.timedelta(days=300)).where(Contract.id == contract.id).execute()
        start = TODAY + dt.timedelta(days=5)
        absences.declare(Customer.get_by_id(customer_id(app)), contract.id, start, start + dt.timedelta(days=7))
        WaitingListApplication.create(
            port=Port.current(),
            user=user.id,
            last_name="DUPONT",
            email=user.email,
            status="offered",
            offered_berth=contract.berth_id,
            offer_deadline=TODAY + dt.timedelta(days=10),
        )
        database.close()
    titles = cards(home(client))
    assert "Votre demande de modification attend la capitainerie" in titles
    assert "Absence enregistrée" in titles and "Une place vous est proposée" in titles


def test_a_waiting_list_applicant_is_not_offered_a_mandate(app, client, auth):
    with app.app_context():
        Customer.create(port=Port.current(), code="C0099", last_name="MARIN", first_name="PAUL")
        database.close()
    auth.create_boater("C0099", email="paul@example.com")
    auth.login("paul@example.com")
    html = home(client)
    assert "Paiement par prélèvement" not in html
    assert cards(html) == ["Tout est à jour"]


def _queries(app, client):
    with app.app_context(), counting_queries() as counted:
        home(client)
    return counted.count


def test_the_home_page_runs_the_same_queries_for_a_long_history(app, client, auth):
    user = auth.boater("C0001")
    active_mandate(app, "C0002")  # another boater's mandate changes nothing for Jean
    before = _queries(app, client)
    with app.test_request_context():
        customer = Customer.get(Customer.code == "C0001")
        contract = Contract.get(Contract.number == f"{YEAR}-0042")
        Contract.update(ends_on=TODAY + dt.timedelta(days=300)).where(Contract.id == contract.id).execute()
        for n in range(12):
            Invoice.create(
                port=customer.port_id,
                customer=customer,
                number=f"{YEAR}/9{n:04d}",
                issued_on=TODAY,
                label="Facture de prestation",
                total_cents=1000 + n,
            )
        for n in range(3):
            Contract.create(
                port=customer.port_id,
                customer=customer,
                berth=contract.berth_id,
                number=f"{YEAR}-9{n}",
                starts_on=TODAY,
                ends_on=TODAY + dt.timedelta(days=100),
                status="sent",
            )
        for n in range(4):
            start = TODAY + dt.timedelta(days=10 * n + 3)
            absences.declare(customer, contract.id, start, start + dt.timedelta(days=2))
        boat = Boat.get(Boat.code == "B0001")
        changes.propose(user.id, boat, {name: getattr(boat, name) for name in changes.BOAT_FACTS} | {"beam_cm": 330})
        database.close()
    titles = cards(home(client))
    assert len(titles) >= 12 + 4 + 4
    assert _queries(app, client) == before


def test_compte_client_offers_one_way_to_pay_each_invoice(app, client, auth):
    auth.boater("C0001")
    active_mandate(app)
    with app.app_context():
        invoice = Invoice.get(Invoice.number == f"{YEAR}/02135")
        database.close()
    page = client.get("/account/").get_data(as_text=True)
    assert "Sera prélevée au prochain prélèvement" in page and f"/payment/invoices/{invoice.id}" not in page
    refused = client.get(f"/payment/invoices/{invoice.id}", follow_redirects=True).get_data(as_text=True)
    assert f"La facture {YEAR}/02135 est prélevée par votre mandat" in refused
    with app.app_context():
        collection_date = TODAY + dt.timedelta(days=20)
        collection.export_batch(Port.current(), collection_date)
        database.close()
    page = client.get("/account/").get_data(as_text=True)
    assert f"Prélevée le {collection_date.strftime('%d/%m/%Y')}" in page
    assert f"/payment/invoices/{invoice.id}" not in page


def test_a_waiting_list_applicant_has_no_mandate_to_sign(app, client, auth):
    with app.app_context():
        Customer.create(port=Port.current(), code="C0099", last_name="MARIN", first_name="PAUL")
        database.close()
    auth.create_boater("C0099", email="paul@example.com")
    auth.login("paul@example.com")
    page = client.get("/mandate/").get_data(as_text=True)
    assert "Vous n'avez pas encore de contrat au port" in page and "RUM" not in page
    assert "Paiement par prélèvement</a>" not in client.get("/account/").get_data(as_text=True)
    with app.app_context():
        assert Mandate.select().count() == 0
        database.close()
