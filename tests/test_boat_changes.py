"""Mon bateau et mes papiers: contact details applied at once and audited; boat facts wait for staff approval."""

import html
import re

import pytest
from conftest import Auth, csrf_token

from marina_portal.models import AuditLog, Boat, BoatChange, Customer

CHANGE = dict(
    name="BELLE ÉTOILE II", registration="CC 654321", boat_type="Catamaran", length="10,20", beam="5", draught="1.1"
)


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def boat_id(app, code="B0001"):
    with app.app_context():
        return Boat.get(Boat.code == code).id


def test_the_home_page_leads_to_the_boat_page(client, auth):
    auth.boater("C0001")
    home = text(client.get("/"))
    assert 'href="/my-boat/"' in home and "Mon bateau et mes papiers" in home
    page = text(client.get("/my-boat/"))
    assert "BELLE ÉTOILE" in page and "CC 123456" in page and "9,50 m" in page and "10, RUE DU MARCHÉ" in page


def test_contact_details_apply_at_once_and_staff_see_what_changed(app, client, auth, form_post):
    auth.boater("C0001")
    response = form_post(
        "/my-boat/contact",
        phone="06 12 34 56 78",
        street="3, QUAI DES PÊCHEURS",
        postcode="66140",
        town="CANET",
        country="fr",
    )
    assert response.status_code == 303
    assert "Vos coordonnées sont enregistrées." in text(client.get(response.headers["Location"]))
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        assert (customer.phone, customer.town, customer.country) == ("06 12 34 56 78", "CANET", "FR")
        assert customer.email == "jean.dupont@example.com"  # the address on file stays the harbour office's
        entry = AuditLog.get(AuditLog.action == "customer.contact")
        assert entry.object_id == customer.id and entry.user.email == "jean.dupont@example.com"
        assert "CARCASSONNE" in entry.before and "CANET" in entry.after
    staff = app.test_client()
    Auth(app, staff).staff(role="agent")
    page = text(staff.get(f"/staff/customers/{customer.id}"))
    assert "coordonnées modifiées en ligne par le plaisancier" in page
    assert "ville : CARCASSONNE → CANET" in page and "téléphone : — → 06 12 34 56 78" in page


def test_contact_form_ignores_fields_it_does_not_offer(app, client, auth, form_post):
    auth.boater("C0001")
    response = form_post(
        "/my-boat/contact",
        phone="",
        street="1 quai",
        postcode="66000",
        town="PERPIGNAN",
        country="FR",
        email="pirate@example.com",
        last_name="PIRATE",
    )
    assert response.status_code == 303
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        assert customer.email == "jean.dupont@example.com" and customer.last_name == "DUPONT"


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(phone="call me", street="1 quai", postcode="66000", town="X", country="FR"), "numéro de téléphone"),
        (dict(phone="", street="", postcode="66000", town="X", country="FR"), "Ce champ est obligatoire."),
        (dict(phone="", street="1 quai", postcode="66000", town="X", country="France"), "deux lettres"),
    ],
)
def test_contact_form_refuses_bad_input_and_keeps_it(app, client, auth, form_post, fields, message):
    auth.boater("C0001")
    response = form_post("/my-boat/contact", **fields)
    assert response.status_code == 422
    page = text(response)
    assert message in page and 'value="66000"' in page
    with app.app_context():
        assert Customer.get(Customer.code == "C0001").town == "CARCASSONNE"
        assert not AuditLog.select().where(AuditLog.action == "customer.contact").exists()


def test_a_boat_change_waits_for_staff_then_is_approved(app, client, auth, form_post, mailbox):
    auth.boater("C0001")
    boat = boat_id(app)
    form = client.get(f"/my-boat/boats/{boat}/change").get_data(as_text=True)
    assert 'value="BELLE ÉTOILE"' in form and 'value="9,50"' in form
    response = form_post(f"/my-boat/boats/{boat}/change", **CHANGE)
    assert response.status_code == 303
    page = text(client.get("/my-boat/"))
    assert "en attente de la capitainerie" in page and "BELLE ÉTOILE II" in page and "10,20 m" in page
    with app.app_context():
        assert Boat.get_by_id(boat).name == "BELLE ÉTOILE"  # nothing applied yet
        change = BoatChange.get()
        assert (change.status, change.length_cm, change.beam_cm, change.draught_cm) == ("pending", 1020, 500, 110)

    staff = app.test_client()
    Auth(app, staff).staff(role="agent")
    dashboard = text(staff.get("/staff/"))
    assert 'Bateaux à vérifier</h2><p class="figure">1</p> <p>modification demandée par' in dashboard
    review = text(staff.get("/staff/boat-changes"))
    assert "DUPONT JEAN" in review and "9,50 m" in review and "10,20 m" in review and "(modifié)" in review
    assert text(staff.get(f"/staff/customers/{change.customer_id}")).count("modification de bateau en attente") == 1
    token = csrf_token(staff.get("/staff/boat-changes").get_data(as_text=True))
    assert staff.post(f"/staff/boat-changes/{change.id}/approve", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        applied = Boat.get_by_id(boat)
        assert (
            applied.name,
            applied.registration,
            applied.boat_type,
            applied.length_cm,
            applied.beam_cm,
            applied.draught_cm,
        ) == ("BELLE ÉTOILE II", "CC 654321", "Catamaran", 1020, 500, 110)
        assert BoatChange.get_by_id(change.id).status == "approved"
        entry = AuditLog.get(AuditLog.action == "boat.update")
        assert entry.user.email == "agent@example.com" and '"name": "BELLE ÉTOILE"' in entry.before
    message = mailbox.last("jean.dupont@example.com")
    assert message["Subject"] == "Votre bateau BELLE ÉTOILE II : modification acceptée"
    assert "10,20 m" in mailbox.text(message) and "/my-boat/" in mailbox.text(message)
    assert "a été acceptée le" in text(client.get("/my-boat/"))
    # a second click (another agent, a stale page) finds nothing left to approve
    again = staff.post(f"/staff/boat-changes/{change.id}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "n'est plus en attente" in text(again)


def test_a_refused_change_tells_the_boater_why(app, client, auth, form_post, mailbox):
    auth.boater("C0001")
    boat = boat_id(app)
    assert form_post(f"/my-boat/boats/{boat}/change", **CHANGE).status_code == 303
    staff = app.test_client()
    Auth(app, staff).staff(role="agent")
    with app.app_context():
        change_id = BoatChange.get().id
    token = csrf_token(staff.get("/staff/boat-changes").get_data(as_text=True))
    empty = staff.post(
        f"/staff/boat-changes/{change_id}/refuse", data={"csrf_token": token, "reason": " "}, follow_redirects=True
    )
    assert "Indiquez le motif du refus" in text(empty)
    with app.app_context():
        assert BoatChange.get_by_id(change_id).status == "pending"
    reason = "La longueur ne correspond pas à l'acte de francisation."
    assert (
        staff.post(f"/staff/boat-changes/{change_id}/refuse", data={"csrf_token": token, "reason": reason}).status_code
        == 303
    )
    with app.app_context():
        refused = BoatChange.get_by_id(change_id)
        assert (refused.status, refused.refusal_reason, refused.decided_by.email) == (
            "refused",
            reason,
            "agent@example.com",
        )
        assert Boat.get_by_id(boat).name == "BELLE ÉTOILE"
    message = mailbox.last("jean.dupont@example.com")
    assert message["Subject"] == "Votre bateau BELLE ÉTOILE : modification refusée"
    assert reason in mailbox.text(message)
    page = text(client.get("/my-boat/"))
    assert "a été refusée le" in page and reason in page
    assert "Refusée : " + reason in text(staff.get("/staff/boat-changes"))


def test_approval_applies_only_what_the_boater_changed(app, client, auth, form_post, mailbox):
    auth.boater("C0001")
    boat = boat_id(app)
    response = form_post(
        f"/my-boat/boats/{boat}/change",
        name="BELLE ÉTOILE",
        registration="CC 123456",
        boat_type="Voilier",
        length="9,80",
        beam="3,20",
        draught="1,50",
    )
    assert response.status_code == 303
    page = text(client.get("/my-boat/")).split("en attente de la capitainerie")[1]
    assert "9,80 m" in page.split("</dl>")[0] and "CC 123456" not in page.split("</dl>")[0]
    with app.app_context():
        change = BoatChange.get()
        assert change.changed_fields == ["length_cm"]
        Boat.update(registration="CC 999999").where(Boat.id == boat).execute()  # the office corrects it meanwhile
    staff = app.test_client()
    Auth(app, staff).staff(role="agent")
    review = text(staff.get("/staff/boat-changes"))
    assert review.count("(modifié)") == 1 and review.count("inchangé") == 5
    token = csrf_token(staff.get("/staff/boat-changes").get_data(as_text=True))
    assert staff.post(f"/staff/boat-changes/{change.id}/approve", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        applied = Boat.get_by_id(boat)
        assert (applied.length_cm, applied.registration) == (980, "CC 999999")


def test_a_new_request_replaces_the_pending_one(app, client, auth, form_post):
    auth.boater("C0001")
    boat = boat_id(app)
    assert form_post(f"/my-boat/boats/{boat}/change", **CHANGE).status_code == 303
    assert "Remplacer ma demande de modification" in text(client.get("/my-boat/"))
    assert form_post(f"/my-boat/boats/{boat}/change", **{**CHANGE, "name": "ÉTOILE"}).status_code == 303
    with app.app_context():
        statuses = [c.status for c in BoatChange.select().order_by(BoatChange.id)]
        assert statuses == ["replaced", "pending"]
        assert BoatChange.get(BoatChange.status == "pending").name == "ÉTOILE"


def test_nothing_changed_is_said_plainly(app, client, auth, form_post):
    auth.boater("C0001")
    boat = boat_id(app)
    response = form_post(
        f"/my-boat/boats/{boat}/change",
        name="BELLE ÉTOILE",
        registration="CC 123456",
        boat_type="Voilier",
        length="9,5",
        beam="3,20",
        draught="1,50",
    )
    assert response.status_code == 422 and "Aucune modification" in text(response)
    bad = form_post(f"/my-boat/boats/{boat}/change", **{**CHANGE, "length": "long"})
    assert bad.status_code == 422 and "Indiquez une mesure en mètres" in text(bad) and 'value="long"' in text(bad)
    with app.app_context():
        assert BoatChange.select().count() == 0


def test_another_boaters_boat_and_papers_are_not_found(app, client, auth, form_post):
    auth.boater("C0001")
    martin_boat = boat_id(app, "B0002")
    assert client.get(f"/my-boat/boats/{martin_boat}/change").status_code == 404
    token = csrf_token(client.get("/my-boat/").get_data(as_text=True))
    response = client.post(f"/my-boat/boats/{martin_boat}/change", data={"csrf_token": token, **CHANGE})
    assert response.status_code == 404
    with app.app_context():
        assert BoatChange.select().count() == 0


def test_staff_pages_are_french_only_and_boaters_are_kept_out(app, client, auth):
    auth.boater("C0001")
    for url in ("/staff/boat-changes", "/staff/insurance"):
        assert client.get(url).status_code == 403
    staff = app.test_client()
    Auth(app, staff).staff(role="agent")
    assert "Aucune modification en attente." in text(staff.get("/staff/boat-changes"))
    assert 'href="/staff/boat-changes"' in text(staff.get("/staff/"))
