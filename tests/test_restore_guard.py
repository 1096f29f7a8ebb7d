"""`restore` refuses while the portal (gunicorn) or the worker (huey consumer) has the database open, and
checks the restored database before saying « restaurée »."""

import os
import sqlite3
import subprocess
import sys
import time

import requests
from conftest import free_port, on_sqlite_only

from marina_portal.core import backup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = on_sqlite_only


def _environment(app):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_")}
    for key in ("DATABASE", "DATA_DIR", "SECRET_KEY"):
        env["MARINA_" + key] = str(app.config[key])
    env["MARINA_HUEY_IMMEDIATE"] = "false"
    return env


def _backup(app, runner, tmp_path):
    assert runner.invoke(args=["backup", str(tmp_path / "backups")]).exit_code == 0
    return os.path.join(tmp_path / "backups", os.listdir(tmp_path / "backups")[0])


def _wait(check, process, what):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} stopped"
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not start")


def _stop(process):
    process.terminate()
    process.wait(20)


def test_restore_is_refused_while_gunicorn_serves_the_portal(app, runner, tmp_path):
    folder = _backup(app, runner, tmp_path)
    port = free_port()
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "marina_portal:create_app()",
        ],
        cwd=ROOT,
        env=_environment(app),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok, gunicorn, "gunicorn")
        refused = runner.invoke(args=["restore", folder, "--yes"])
        assert refused.exit_code != 0
        assert "Le portail ou le worker utilise encore la base" in refused.output
        assert "restaurée" not in refused.output
    finally:
        _stop(gunicorn)
    restored = runner.invoke(args=["restore", folder, "--yes"])
    assert restored.exit_code == 0 and "Sauvegarde restaurée et vérifiée" in restored.output


def test_restore_is_refused_while_the_worker_runs(app, runner, tmp_path):
    folder = _backup(app, runner, tmp_path)
    consumer = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "huey_consumer"), "marina_portal.worker.huey", "-w", "1"],
        cwd=ROOT,
        env=_environment(app),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lock = app.config["DATABASE"] + ".in-use"

        def holds_the_lock():  # the consumer's start-up opened its app
            return any(
                lock in os.readlink(f"/proc/{consumer.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{consumer.pid}/fd")
            )

        _wait(holds_the_lock, consumer, "the worker")
        refused = runner.invoke(args=["restore", folder, "--yes"])
        assert refused.exit_code != 0 and "utilise encore la base" in refused.output
    finally:
        consumer.send_signal(2)
        consumer.wait(20)


def test_a_restored_database_that_fails_its_check_is_not_kept(app, runner, tmp_path, monkeypatch):
    folder = _backup(app, runner, tmp_path)
    checked = []
    real = backup._integrity

    def fails_after_the_copy(path):
        checked.append(path)
        if path == app.config["DATABASE"]:
            raise backup.BackupError(f"integrity_check failed on {path}: *** in database main ***")
        real(path)

    monkeypatch.setattr(backup, "_integrity", fails_after_the_copy)
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        conn.execute(
            "insert into outbox_mail (\"to\", subject, text, html, created_at) values ('a', 'after', '', '', '')"
        )
    result = runner.invoke(args=["restore", folder, "--yes"])
    assert result.exit_code != 0 and "the restored database failed its check" in result.output
    assert app.config["DATABASE"] in checked
    with sqlite3.connect(app.config["DATABASE"]) as conn:  # the database it replaced is back
        assert conn.execute("select count(*) from outbox_mail where subject = 'after'").fetchone()[0] == 1
