"""Sessions end on the server: logout, idle timeouts (2 h, 30 days with « Rester connecté », staff 30 min) and a
staff session's 12 hours, each tried by replaying a copied cookie."""

import datetime as dt

from conftest import PASSWORD, csrf_token

from marina_portal.core.db import database
from marina_portal.models import LoginSession, utcnow

HOST = "127.0.0.1"  # BASE_URL's host: where the test client's cookies live


def login(client, email="jean.dupont@example.com", remember=False, path="/login"):
    page = client.get(path if path != "/login" else "/")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post(path, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def replay(app, client):
    """A second browser holding a copy of the first one's session cookie."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session", domain=HOST).value, domain=HOST)
    return copy


def logged_in(client, page="/account/"):
    return client.get(page).status_code == 200


def age_sessions(app, idle=None, started=None):
    """Move every open session's last use (and start) back in time."""
    with app.app_context():
        now = utcnow()
        values = {}
        if idle is not None:
            values["last_seen_at"] = now - idle
        if started is not None:
            values["started_at"] = now - started
        LoginSession.update(**values).execute()
        database.close()


def test_a_cookie_copied_before_logout_no_longer_works(app, client, auth):
    auth.create_boater()
    login(client)
    copy = replay(app, client)
    assert logged_in(copy)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert not logged_in(client)
    assert not logged_in(copy)


def test_a_boater_session_ends_after_two_idle_hours(app, client, auth):
    auth.create_boater()
    login(client)
    copy = replay(app, client)
    age_sessions(app, idle=dt.timedelta(minutes=110))
    assert logged_in(copy)  # still within 2 hours, and that use counts
    age_sessions(app, idle=dt.timedelta(hours=2, minutes=1))
    assert not logged_in(copy)
    assert not logged_in(client)


def test_a_cookie_unused_for_31_days_is_refused_even_when_remembered(app, client, auth):
    auth.create_boater()
    response = login(client, remember=True)
    assert "Expires=" in response.headers["Set-Cookie"]  # the browser keeps it: « Rester connecté »
    copy = replay(app, client)
    age_sessions(app, idle=dt.timedelta(days=29))
    assert logged_in(copy)
    age_sessions(app, idle=dt.timedelta(days=31))
    assert not logged_in(copy)


def test_without_rester_connecte_the_cookie_is_a_browser_session_one(client, auth):
    auth.create_boater()
    assert "Rester connecté" in client.get("/").get_data(as_text=True)
    response = login(client)
    assert "Expires=" not in response.headers["Set-Cookie"]


def test_a_staff_session_ends_after_30_idle_minutes(app, client, auth):
    auth.create_staff()
    login(client, "agent@example.com", remember=True, path="/staff/login")  # staff are never remembered
    copy = replay(app, client)
    age_sessions(app, idle=dt.timedelta(minutes=25))
    assert logged_in(copy, "/staff/")
    age_sessions(app, idle=dt.timedelta(minutes=31))
    assert copy.get("/staff/").status_code == 302


def test_a_staff_session_ends_after_12_hours_however_busy(app, client, auth):
    auth.create_staff()
    login(client, "agent@example.com", path="/staff/login")
    age_sessions(app, idle=dt.timedelta(minutes=1), started=dt.timedelta(hours=11, minutes=50))
    assert logged_in(client, "/staff/")
    age_sessions(app, idle=dt.timedelta(minutes=1), started=dt.timedelta(hours=12, minutes=1))
    assert client.get("/staff/").status_code == 302


def test_logging_out_on_one_browser_leaves_the_others_open(app, auth):
    auth.create_boater()
    phone, laptop = app.test_client(), app.test_client()
    login(phone)
    login(laptop)
    phone.post("/logout", data={"csrf_token": csrf_token(phone.get("/").get_data(as_text=True))})
    assert not logged_in(phone)
    assert logged_in(laptop)
