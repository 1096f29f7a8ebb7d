"""Ready for production: unsafe settings refuse to start; backups taken under load restore whole."""

import os
import sqlite3
import threading
import time

import pytest
from conftest import on_sqlite_only

from marina_portal import create_app
from marina_portal.core.production import NotReadyForProduction, check

GOOD = {
    "SECRET_KEY": "x" * 48,
    "MONETICO_SANDBOX": False,
    "MONETICO_URL": "https://p.monetico-services.com/paiement.cgi",
    "MONETICO_KEY": "0123456789ABCDEF0123456789ABCDEF01234567",
    "MAIL_OUTBOX": False,
    "MAIL_SERVER": "smtp.example.com",
    "BASE_URL": "https://portail.example-marina.fr",
}


@pytest.mark.parametrize(
    "bad,words",
    [
        ({"SECRET_KEY": "dev"}, "SECRET_KEY"),
        ({"MONETICO_SANDBOX": True}, "bac à sable"),
        ({"MONETICO_KEY": "12345678901234567890123456789012345678P0"}, "clé de démonstration"),
        ({"MAIL_OUTBOX": True}, "MAIL_OUTBOX"),
        ({"MONETICO_URL": None}, "MONETICO_URL"),
        ({"BASE_URL": "http://127.0.0.1:5000"}, "adresse par défaut"),
        ({"BASE_URL": "http://127.0.0.1:5000", "ALLOW_HTTP": True}, "adresse par défaut"),
        ({"BASE_URL": "http://portail.example-marina.fr"}, "pas en https://"),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path, bad, words):
    app = create_app({**GOOD, **bad, "DATABASE": str(tmp_path / "p.sqlite3")})
    with pytest.raises(NotReadyForProduction, match=words):
        check(app)


def test_production_starts_with_real_settings(tmp_path):
    app = create_app({**GOOD, "DATABASE": str(tmp_path / "p.sqlite3")})
    assert check(app) is app


def test_a_deliberate_allow_http_lets_a_local_network_test_start(tmp_path):
    app = create_app(
        {**GOOD, "BASE_URL": "http://192.168.1.20:8000", "ALLOW_HTTP": True, "DATABASE": str(tmp_path / "p")}
    )
    assert check(app) is app


@on_sqlite_only
def test_backup_under_write_load_restores_every_row(app, runner, tmp_path):
    db_path = tmp_path / "portal.sqlite3"
    written, stop = [], threading.Event()

    def writer():
        conn = sqlite3.connect(db_path, timeout=30)
        conn.execute("pragma busy_timeout=30000")
        n = 0
        while not stop.is_set():
            n += 1
            with conn:
                conn.execute(
                    'insert into outbox_mail ("to", subject, text, html, created_at) '
                    "values (?, ?, '', '', datetime('now'))",
                    (f"load{n}@example.com", f"n{n}"),
                )
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    before_backup = len(written)
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    time.sleep(0.2)
    stop.set()
    thread.join()
    assert result.exit_code == 0, result.output
    folder = os.path.join(tmp_path / "backups", os.listdir(tmp_path / "backups")[0])
    assert os.path.exists(os.path.join(folder, "data", "documents"))  # the tutorial PDF came along

    os.remove(db_path)
    restored = runner.invoke(args=["restore", folder, "--yes"])
    assert restored.exit_code == 0, restored.output
    conn = sqlite3.connect(db_path)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    subjects = {row[0] for row in conn.execute("select subject from outbox_mail")}
    # every row committed before the backup began is in it, and the demo with it
    assert {f"n{i}" for i in range(1, before_backup + 1)} <= subjects
    assert conn.execute("select count(*) from customer").fetchone()[0] == 2
    conn.close()


@on_sqlite_only
def test_restore_refuses_a_folder_without_database(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(args=["restore", str(tmp_path / "empty"), "--yes"])
    assert result.exit_code != 0 and "portal.sqlite3" in result.output


@pytest.mark.parametrize(
    "settings,words",
    [
        ({"APP_SERVERS": 2}, "RATELIMIT_STORAGE_URI"),
        ({"APP_SERVERS": 2, "RATELIMIT_STORAGE_URI": "redis://cache.internal:6390/0"}, "HUEY_URL"),
    ],
)
def test_several_app_servers_need_shared_limits_and_queue(tmp_path, monkeypatch, settings, words):
    monkeypatch.delenv("MARINA_HUEY_URL", raising=False)
    app = create_app({**GOOD, **settings, "DATABASE": str(tmp_path / "p.sqlite3")})
    with pytest.raises(NotReadyForProduction, match=words):
        check(app)


def test_several_app_servers_start_with_redis_for_both(tmp_path):
    app = create_app(
        {
            **GOOD,
            "APP_SERVERS": 3,
            "RATELIMIT_STORAGE_URI": "redis://cache.internal:6390/0",
            "HUEY_URL": "redis://cache.internal:6390/1",
            "DATABASE": str(tmp_path / "p.sqlite3"),
        }
    )
    assert check(app) is app
    # one app server (the single-VPS install) keeps the in-memory count
    assert check(create_app({**GOOD, "DATABASE": str(tmp_path / "p.sqlite3")})) is not None


@on_sqlite_only
def test_the_database_and_backups_are_private_to_the_portal_user(tmp_path):
    import stat

    from marina_portal.core.db import database
    from marina_portal.migrations import init_db

    folder = tmp_path / "fresh"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 40,
            "DATABASE": str(folder / "portal.sqlite3"),
            "DATA_DIR": str(folder / "data"),
        }
    )
    old_umask = os.umask(0o022)  # a usual umask: files would be world-readable by default
    try:
        with app.app_context():
            init_db()
            database.execute_sql("create table t (x)")
            database.close()
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups")])
    finally:
        os.umask(old_umask)

    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    assert result.exit_code == 0, result.output
    assert mode(folder) == 0o700
    for name in os.listdir(folder):
        if name.startswith("portal.sqlite3"):
            assert mode(folder / name) == 0o600, name
    [made] = os.listdir(tmp_path / "backups")
    assert mode(tmp_path / "backups") == 0o700 and mode(tmp_path / "backups" / made) == 0o700
    assert mode(tmp_path / "backups" / made / "portal.sqlite3") == 0o600
    for root, _dirs, files in os.walk(tmp_path / "backups" / made / "instance"):
        for name in files:
            assert mode(os.path.join(root, name)) == 0o600
