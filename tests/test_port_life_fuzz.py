"""Whatever a stranger types into « Je n'ai pas de contrat », or a boater into an absence, the answer is never a 500."""

from conftest import csrf_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(
    st.fixed_dictionaries(
        {
            name: text
            for name in (
                "last_name",
                "first_name",
                "email",
                "boat_name",
                "boat_type",
                "length",
                "beam",
                "draught",
                "wanted_from",
                "wanted_to",
            )
        }
    )
)
def test_application_form_never_fails(client, fields):
    page = client.get("/waiting-list/apply").get_data(as_text=True)
    response = client.post("/waiting-list/apply", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code in (200, 303)


@FUZZ
@given(st.fixed_dictionaries({name: text for name in ("starts_on", "ends_on", "comment", "contract")}))
def test_absence_form_never_fails(app, client, fields):
    if not client.get("/absences/").status_code == 200:
        from conftest import Auth

        Auth(app, client).boater("C0001")
    page = client.get("/absences/new").get_data(as_text=True)
    response = client.post("/absences/new", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code in (200, 303)


@FUZZ
@given(text)
def test_confirmation_links_never_fail(client, token):
    assert client.get("/waiting-list/confirm/" + token.replace("/", "")).status_code in (404, 410)
