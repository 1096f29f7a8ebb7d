"""Login, logout, `next`, rate limits, password change ending other sessions."""

import pytest
from conftest import PASSWORD, csrf_token

from marina_portal.models import User


def test_wrong_password_same_message_as_unknown_login(client, auth):
    auth.create_boater()
    bad_password = auth.login(password="wrong password here").get_data(as_text=True)
    unknown = auth.login(email="who@example.com").get_data(as_text=True)
    assert "Login ou mot de passe incorrect." in bad_password
    assert "Login ou mot de passe incorrect." in unknown


def test_password_is_hashed_with_scrypt(app, auth):
    user = auth.create_boater()
    with app.app_context():
        stored = User.get_by_id(user.id).password_hash
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_session_is_renewed_at_login(client, auth):
    auth.create_boater()
    client.get("/")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    auth.login()
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize(
    "target,followed",
    [
        ("/documents/", True),
        ("https://evil.example.com/", False),
        ("//evil.example.com/", False),
        ("/\\evil.example.com", False),
    ],
)
def test_next_is_followed_only_to_a_path_here(client, auth, target, followed):
    auth.create_boater()
    page = client.get("/login", query_string={"next": target})
    response = client.post(
        "/login",
        query_string={"next": target},
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "jean.dupont@example.com",
            "password": PASSWORD,
        },
    )
    location = response.headers["Location"]
    assert (location == target) is followed
    if not followed:
        assert location == "/"


def test_logout_ends_the_session(client, auth):
    auth.boater()
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert "Connexion au portail" in client.get("/").get_data(as_text=True)


def test_change_password_logs_out_other_sessions(app, client, auth):
    auth.boater()
    other = app.test_client()
    page = other.get("/")
    other.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "jean.dupont@example.com",
            "password": PASSWORD,
        },
    )
    assert "Bienvenue" in other.get("/").get_data(as_text=True)
    page = client.get("/account/password")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "current": PASSWORD,
            "password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert response.status_code == 303
    assert "Bienvenue" in client.get("/").get_data(as_text=True)  # this session goes on
    assert "Connexion au portail" in other.get("/").get_data(as_text=True)  # the other one ended


def test_change_password_wrong_current_changes_nothing(app, client, auth):
    user = auth.boater()
    page = client.get("/account/password")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "current": "not my password",
            "password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert "actuel n&#39;est pas le bon" in response.get_data(as_text=True)
    with app.app_context():
        assert User.get_by_id(user.id).session_version == user.session_version


def test_short_or_mismatched_new_password_is_explained(client, auth):
    auth.boater()
    page = client.get("/account/password")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "current": PASSWORD,
            "password": "short",
            "confirm": "other",
        },
    )
    text = response.get_data(as_text=True)
    assert "au moins 10 caractères" in text and "pas identiques" in text


def test_login_is_rate_limited_with_a_french_message(make_app):
    app = make_app(LOGIN_LIMIT="3/minute")
    client = app.test_client()
    page = client.get("/")
    token = csrf_token(page.get_data(as_text=True))
    statuses = [
        client.post(
            "/login", data={"csrf_token": token, "email": "jean.dupont@example.com", "password": "guess"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    last = client.post("/login", data={"csrf_token": token, "email": "x@example.com", "password": "g"})
    assert last.status_code == 429 and "Trop de tentatives" in last.get_data(as_text=True)


def test_mail_forms_are_rate_limited_per_target(make_app, mailbox):
    app = make_app(MAIL_LIMIT="2/minute")
    clients = [app.test_client() for _ in range(3)]
    statuses = []
    for client in clients:  # three "different" visitors, one target address
        page = client.get("/password/forgot")
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{len(statuses) + 1}"
        statuses.append(
            client.post(
                "/password/forgot",
                data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "jean.dupont@example.com"},
            ).status_code
        )
    assert statuses == [303, 303, 429]
