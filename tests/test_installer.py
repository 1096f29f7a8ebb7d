"""What an installer and a harbour officer trip on: the demo in production, customer search with accents,
the CLI's settings and database, gunicorn's access log behind the proxy."""

import os
import re
import subprocess
import sys
import time

import pytest
import requests
from conftest import free_port

from marina_portal import create_app
from marina_portal.core import config
from marina_portal.core.db import database
from marina_portal.customers import records
from marina_portal.models import Customer, Port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRODUCTION = {
    "SECRET_KEY": "x" * 48,
    "BASE_URL": "https://portail.example-marina.fr",
    "MONETICO_SANDBOX": False,
    "MONETICO_URL": "https://p.monetico-services.com/paiement.cgi",
    "MONETICO_KEY": "0123456789ABCDEF0123456789ABCDEF01234567",
    "MAIL_OUTBOX": False,
    "MAIL_SERVER": "smtp.example.com",
}


def test_load_demo_is_refused_with_production_settings(tmp_path):
    app = create_app({**PRODUCTION, "DATABASE": str(tmp_path / "p.sqlite3"), "DATA_DIR": str(tmp_path / "d")})
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code != 0 and "production" in result.output
    with app.app_context():
        database.connect(reuse_if_open=True)
        assert "port" not in database.get_tables() or not Port.select().exists()
        database.close()


@pytest.mark.parametrize("typed", ["Müller", "muller", "MULLER", "mül", "Strasse", "élodie müller"])
def test_customer_search_ignores_case_and_accents(app, typed):
    with app.app_context():
        port = Port.current()
        Customer.create(port=port, code="C0900", last_name="MÜLLER", first_name="ÉLODIE", street="Straße 1")
        Customer.create(port=port, code="C0901", last_name="STRAßE", first_name="Paul")
        rows, total, _ = records.search(port, typed)
        names = {c.last_name for c in rows}
        assert ("MÜLLER" in names) or (typed == "Strasse" and names == {"STRAßE"}), (typed, names)


def test_every_command_says_which_database_it_uses(app, runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    url = app.config["DATABASE"]
    shown = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:…@", url)  # a server URL's password is never printed
    assert f"Base de données : {shown}" in result.stderr
    assert "Base de données :" not in result.stdout
    if shown != url:
        assert ":" + url.split("@")[0].rsplit(":", 1)[1] + "@" not in result.stderr


def test_the_cli_reads_the_environment_file_systemd_gives_gunicorn(tmp_path, monkeypatch):
    (tmp_path / "portal.env").write_text(
        "# read by systemd (EnvironmentFile=) and by the portal itself\n"
        "MARINA_DATABASE=/srv/marina/data/portal.sqlite3\n"
        'MARINA_BASE_URL="https://portail.example-marina.fr"\n'
        "MARINA_APP_SERVERS=2\n"
    )
    monkeypatch.delenv("MARINA_DATABASE", raising=False)
    monkeypatch.setenv("MARINA_APP_SERVERS", "3")  # a variable set in the process still wins
    settings = config.settings(instance_path=str(tmp_path))
    assert settings["DATABASE"] == "/srv/marina/data/portal.sqlite3"
    assert settings["BASE_URL"] == "https://portail.example-marina.fr"
    assert settings["APP_SERVERS"] == 3
    assert "instance/portal.env" in settings["SETTINGS_SOURCES"]


def test_a_flask_command_in_a_shell_uses_the_database_named_in_the_environment(tmp_path):
    database_path = tmp_path / "elsewhere.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_")}
    env.update(MARINA_DATABASE=str(database_path), MARINA_DATA_DIR=str(tmp_path / "data"), MARINA_SECRET_KEY="k" * 40)
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "marina_portal", "init-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"Base de données : {database_path}" in done.stderr and "variables MARINA_*" in done.stderr
    assert database_path.exists()


def test_gunicorn_logs_the_visitors_address_behind_the_proxy(make_app, tmp_path):
    app = make_app()
    port = free_port()
    log = tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_")}
    env.update(
        MARINA_DATABASE=app.config["DATABASE"],
        MARINA_DATA_DIR=app.config["DATA_DIR"],
        MARINA_SECRET_KEY="k" * 40,
        MARINA_BASE_URL=f"http://127.0.0.1:{port}",
        MARINA_TRUSTED_PROXIES="1",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "marina_portal:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        # a visitor who forges the header: the proxy appends the real address, which is the one logged
        requests.get(
            f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.4"}, timeout=5
        )
        deadline = time.monotonic() + 10
        while log.read_text().count("\n") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(10)
    lines = log.read_text().splitlines()
    assert lines[0].startswith("203.0.113.9 ") and lines[1].startswith("198.51.100.4 "), lines
