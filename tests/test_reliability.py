"""Faults: a locked SQLite database makes requests wait, then succeed or fail cleanly; nothing is corrupted."""

import sqlite3
import threading
import time

from conftest import PASSWORD, csrf_token, on_sqlite_only

from marina_portal.models import User


def hold_write_lock(path, seconds, ready):
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    ready.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def login_while_locked(app, tmp_path, hold):
    client = app.test_client()
    token = csrf_token(client.get("/").get_data(as_text=True))
    ready = threading.Event()
    locker = threading.Thread(target=hold_write_lock, args=(tmp_path / "portal.sqlite3", hold, ready))
    locker.start()
    ready.wait(5)
    started = time.monotonic()
    response = client.post(
        "/login", data={"csrf_token": token, "email": "jean.dupont@example.com", "password": PASSWORD}
    )
    waited = time.monotonic() - started
    locker.join()
    return response, waited


@on_sqlite_only
def test_a_short_lock_makes_the_request_wait_then_succeed(make_app, auth, tmp_path):
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=5000)
    auth.app = app
    auth.create_boater()
    response, waited = login_while_locked(app, tmp_path, hold=0.8)
    assert response.status_code == 303 and waited >= 0.5


@on_sqlite_only
def test_a_long_lock_fails_cleanly_and_corrupts_nothing(make_app, auth, tmp_path):
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=300)
    auth.app = app
    user = auth.create_boater()
    response, _ = login_while_locked(app, tmp_path, hold=1.5)
    assert response.status_code == 503
    assert "réessayez" in response.get_data(as_text=True).lower()
    conn = sqlite3.connect(tmp_path / "portal.sqlite3")
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    conn.close()
    with app.app_context():
        assert User.get_by_id(user.id).email == "jean.dupont@example.com"
    # and once the lock is gone the same login works
    client = app.test_client()
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert (
        client.post(
            "/login", data={"csrf_token": token, "email": "jean.dupont@example.com", "password": PASSWORD}
        ).status_code
        == 303
    )
