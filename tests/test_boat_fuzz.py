"""Whatever a boater types into their contact details, boat facts or paper form, the answer is never a 500."""

from conftest import Auth, csrf_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marina_portal.models import Boat

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def logged_in(app, client):
    if client.get("/my-boat/").status_code != 200:
        Auth(app, client).boater("C0001")


@FUZZ
@given(st.fixed_dictionaries({name: text for name in ("phone", "street", "postcode", "town", "country")}))
def test_contact_form_never_fails(app, client, fields):
    logged_in(app, client)
    page = client.get("/my-boat/contact").get_data(as_text=True)
    response = client.post("/my-boat/contact", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code in (303, 422)


@FUZZ
@given(
    st.fixed_dictionaries({name: text for name in ("name", "registration", "boat_type", "length", "beam", "draught")})
)
def test_boat_change_form_never_fails(app, client, fields):
    logged_in(app, client)
    with app.app_context():
        boat_id = Boat.get(Boat.code == "B0001").id
    page = client.get(f"/my-boat/boats/{boat_id}/change").get_data(as_text=True)
    response = client.post(f"/my-boat/boats/{boat_id}/change", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code in (303, 422)


@FUZZ
@given(kind=text, valid_until=text, name=text, data=st.binary(max_size=64))
def test_paper_form_never_fails(app, client, kind, valid_until, name, data):
    import io

    logged_in(app, client)
    page = client.get("/my-boat/").get_data(as_text=True)
    response = client.post(
        "/my-boat/papers",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(page),
            "kind": kind,
            "valid_until": valid_until,
            "file": (io.BytesIO(data), name or "x"),
        },
    )
    assert response.status_code in (303, 422)
