"""Boats and berths typed in at the harbour office."""

import pytest

from marina_portal.models import AuditLog, Berth, Boat, Customer


@pytest.fixture
def staff(auth):
    auth.staff(role="agent")


def test_add_and_edit_a_boat(app, client, staff, form_post):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0002").id
    response = form_post(
        f"/staff/customers/{customer_id}/boats/new",
        code="B0100",
        name="GOÉLAND",
        boat_type="Voilier",
        length="7,5",
        beam="2,80",
        draught="",
    )
    assert response.status_code == 303
    with app.app_context():
        boat = Boat.get(Boat.code == "B0100")
        assert (boat.customer_id, boat.length_cm, boat.beam_cm, boat.draught_cm) == (customer_id, 750, 280, 0)
    assert "GOÉLAND" in client.get(f"/staff/customers/{customer_id}").get_data(as_text=True)
    page = client.get(f"/staff/boats/{boat.id}/edit").get_data(as_text=True)
    assert 'value="7,50"' in page
    response = form_post(f"/staff/boats/{boat.id}/edit", code="B0001", name="GOÉLAND", length="7,5")
    assert response.status_code == 422 and "déjà utilisé" in response.get_data(as_text=True)
    response = form_post(f"/staff/boats/{boat.id}/edit", code="B0100", name="GOÉLAND II", length="huit")
    assert "Saisissez une longueur en mètres" in response.get_data(as_text=True)
    response = form_post(f"/staff/boats/{boat.id}/edit", code="B0100", name="GOÉLAND II", length="8")
    assert response.status_code == 303
    with app.app_context():
        assert Boat.get_by_id(boat.id).name == "GOÉLAND II"
        assert [e.action for e in AuditLog.select().order_by(AuditLog.id)] == ["boat.create", "boat.update"]


def test_berths_list_and_add(app, client, staff, form_post):
    html = client.get("/staff/berths").get_data(as_text=True)
    assert "B-12" in html and "DUPONT JEAN" in html and "A-07" in html and "libre" in html
    response = form_post("/staff/berths", code="e-01", length="10", width="3,5")
    assert response.status_code == 303
    with app.app_context():
        assert Berth.get(Berth.code == "E-01").width_cm == 350
    response = form_post("/staff/berths", code="E-01")
    assert response.status_code == 422 and "existe déjà" in response.get_data(as_text=True)
