"""Property-based: whatever a visitor types into the public forms, the portal never answers 500."""

from conftest import csrf_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(email=text, password=text)
def test_login_never_fails(client, email, password):
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": password})
    assert response.status_code in (200, 303, 400, 429)


@FUZZ
@given(email=text, number=text, date=text, amount=text)
def test_registration_never_fails(client, email, number, date, amount):
    token = csrf_token(client.get("/register/contract").get_data(as_text=True))
    response = client.post(
        "/register/contract",
        data={"csrf_token": token, "email": email, "invoice_number": number, "invoice_date": date, "amount": amount},
    )
    assert response.status_code in (200, 303, 400, 429)


@FUZZ
@given(email=text)
def test_first_login_never_fails(client, email):
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/first-login", data={"csrf_token": token, "email": email})
    assert response.status_code in (200, 303, 400, 429)


@FUZZ
@given(purpose=st.sampled_from(["first-login", "register", "password-reset", "x"]), token=text)
def test_links_never_fail(client, purpose, token):
    token = token.replace("/", "") or "t"
    response = client.get(f"/password/{purpose}/{token}")
    assert response.status_code in (404, 410)
