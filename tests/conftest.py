"""Fixtures: a temp-file SQLite database with the demo, a real SMTP server, a live server, a browser."""

import email
import email.policy
import functools
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

import jinja2
import peewee
import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from marina_portal import create_app
from marina_portal.billing import einvoice
from marina_portal.core.db import database
from marina_portal.migrations import init_db
from marina_portal.models import Customer, User
from marina_portal.sealing.keys import ensure_port_certificate

PASSWORD = "correct horse battery"
# Set to a postgresql:// URL to run the suite on PostgreSQL (each test starts from an empty schema).
TEST_DATABASE_URL = os.environ.get("MARINA_TEST_DATABASE_URL")
# Under pytest-xdist (`make test-postgres PG_WORKERS=2`) each worker process ("gw0", "gw1"…) has a database
# of its own beside that one, made on first use (the role needs CREATEDB, which .ci/run grants).
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def worker_database(url, worker):
    import psycopg2

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{worker}"
    conn = psycopg2.connect(url)  # not `with conn`: that would open a transaction, where CREATE DATABASE fails
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return parts._replace(path=f"/{name}").geturl()


if TEST_DATABASE_URL and WORKER:
    TEST_DATABASE_URL = worker_database(TEST_DATABASE_URL, WORKER)
on_sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite file feature")


def reset_server_database():
    database.connect(reuse_if_open=True)
    database.execute_sql("DROP SCHEMA public CASCADE")
    database.execute_sql("CREATE SCHEMA public")


CHROMIUM = os.environ.get("MARINA_CHROMIUM", "/usr/bin/chromium")  # Debian's; another path for a trial run
# Browser journeys run, or fail when Chromium is missing; only MARINA_SKIP_BROWSER=1 skips them, on purpose.
SKIP_BROWSER = os.environ.get("MARINA_SKIP_BROWSER") == "1"


def browser_missing(what):
    """A missing browser piece fails the journey: `make test` installs it; skipping is asked for explicitly."""
    if SKIP_BROWSER:
        pytest.skip("MARINA_SKIP_BROWSER=1: browser journeys skipped on purpose")
    pytest.fail(f"{what}; `make test` installs it (as root), or set MARINA_SKIP_BROWSER=1 to skip browser journeys")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """Messages received by the test SMTP server, parsed."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            self._lock.notify_all()
        return "250 OK"

    def clear(self):
        with self._lock:
            self.messages.clear()

    def wait_for(self, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")
                self._lock.wait(left)
            return list(self.messages)

    def last(self, to=None):
        self.wait_for(1)
        found = [m for m in self.messages if to is None or to in m["To"]]
        assert found, f"no mail to {to}"
        return found[-1]

    @staticmethod
    def text(message):
        return message.get_body(preferencelist=("plain",)).get_content()

    def links(self):
        """Every portal link in every mail received since the last clear()."""
        return [
            link for message in list(self.messages) for link in re.findall(r"https?://[^\s<>\"]+", self.text(message))
        ]

    def link(self, to=None):
        """The first portal link in the last mail (to `to`)."""
        found = re.search(r"https?://\S+", self.text(self.last(to)))
        assert found, "no link in the mail"
        return found.group(0)


@pytest.fixture(scope="session")
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


FOREIGN_HOST = "evil.example"


@pytest.fixture
def mailbox(smtp, request):
    """The test SMTP server's mails. After the test, every link mailed during it is checked: never built from
    a request's Host (localhost is no test's BASE_URL), and refused when replayed with a foreign Host header."""
    smtp.handler.clear()
    yield smtp.handler
    links = smtp.handler.links()
    from_request = [link for link in links if urlsplit(link).hostname == "localhost"]
    assert not from_request, f"mailed links built from the request's Host header: {from_request}"
    if links and "app" in request.fixturenames:
        replay = request.getfixturevalue("app").test_client()
        for link in links:
            parts = urlsplit(link)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            answer = replay.get(path, headers={"Host": FOREIGN_HOST})
            assert answer.status_code == 400, f"{link} replayed with Host: {FOREIGN_HOST} answered {answer.status_code}"


class PortalClient(FlaskClient):
    """A test client that visits the portal at its public address, BASE_URL, as a boater's browser does
    (Flask's own client would call itself localhost, a host the portal refuses)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = self.application.config["BASE_URL"]

    def open(self, *args, **kwargs):
        if args and isinstance(args[0], str) and "://" not in args[0]:
            kwargs.setdefault("base_url", self.base_url)
        return super().open(*args, **kwargs)

    def session_transaction(self, *args, **kwargs):
        kwargs.setdefault("base_url", self.base_url)
        return super().session_transaction(*args, **kwargs)


@pytest.fixture(scope="session")
def signing_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signing")

    class Holder:
        instance_path = str(folder)
        config = {}

    return ensure_port_certificate(Holder)


# Work the suite would otherwise repeat in every test, done once a run ------------------------------------------
class SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates shared by every app the suite makes (Jinja checks each one against its source)."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


SHARED_BYTECODE = SharedBytecode()


@pytest.fixture(scope="session", autouse=True)
def pdf_rendered_once_per_html():
    """WeasyPrint's bytes depend only on the HTML and the static files (core/pdf.py: same HTML, same bytes), so
    the suite renders each distinct HTML once; the demo's tariff grid, say, is rendered once a run instead of
    once a test. Failures are not kept: a refused HTML is refused every time."""
    from marina_portal.core import pdf

    rendered, real = {}, pdf.html_to_pdf

    def once(html, name="PDF", variant=None):
        key = (hashlib.sha256(html.encode("utf-8")).hexdigest(), variant)
        if key not in rendered:
            rendered[key] = real(html, name, variant=variant)
        return rendered[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf, "html_to_pdf", once)
        yield real


@pytest.fixture
def pdf_rendered_every_time(monkeypatch, pdf_rendered_once_per_html):
    """WeasyPrint itself for each render: for the tests of that very rule (same facts, same bytes)."""
    from marina_portal.core import pdf

    monkeypatch.setattr(pdf, "html_to_pdf", pdf_rendered_once_per_html)


@functools.cache
def password_hash(password):
    """A boater's password hashed once a run (scrypt takes a tenth of a second, by design)."""
    from marina_portal.accounts.logins import hash_password

    return hash_password(password)


@pytest.fixture
def make_app(tmp_path, smtp, signing_files):
    """A factory: an app on a fresh temp-file database holding the demo, with extra config.

    After the test, the Factur-X data of every invoice and credit note left in each database is kept for
    the EN 16931 check that ends the run (see EINVOICES below)."""
    apps = []

    def factory(demo=True, **config):
        settings = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE": str(tmp_path / "portal.sqlite3"),
            "DATA_DIR": str(tmp_path / "data"),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "MAIL_OUTBOX": False,
            "MAIL_SUPPRESS_SEND": False,
            "HUEY_IMMEDIATE": True,
            "LOGIN_LIMIT": "1000/minute",
            "MAIL_LIMIT": "1000/minute",
            "REGISTER_INVOICE_LIMIT": "1000/minute",
            "REGISTER_LIMIT": "1000/minute",
            "NOTIFY_BAD_SEAL_LIMIT": "1000/minute",
            "RATELIMIT_STORAGE_URI": "memory://",
            "SIGNING_KEY_FILE": signing_files[0],
            "SIGNING_CERT_FILE": signing_files[1],
        }
        if TEST_DATABASE_URL:
            settings["DATABASE"] = TEST_DATABASE_URL
        settings.update(config)
        app = create_app(settings)
        app.test_client_class = PortalClient
        app.jinja_env.bytecode_cache = SHARED_BYTECODE
        with app.app_context():
            if settings["DATABASE"] == TEST_DATABASE_URL:
                reset_server_database()
            init_db()
            if demo:
                from marina_portal.demo import load_demo

                load_demo()
            database.close()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        EINVOICES.collect(app)


@pytest.fixture
def app(make_app, request):
    """The demo app; a test module may set `APP_CONFIG = {...}` for settings all its tests share."""
    app = make_app(**getattr(request.module, "APP_CONFIG", {}))
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html):
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert found, "no CSRF token in the page"
    return found.group(1)


class Auth:
    """Log in as a demo boater (creating their login directly) or as staff."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def create_boater(self, customer_code="C0001", email=None, password=PASSWORD):
        with self.app.app_context():
            customer = Customer.get(Customer.code == customer_code)
            email = email or customer.email or f"{customer_code.lower()}@example.com"
            user = User.create(email=email, password_hash=password_hash(password), customer=customer)
            database.close()
        return user

    def create_staff(self, email="agent@example.com", role="admin", password=PASSWORD):
        from marina_portal.accounts.logins import create_staff

        with self.app.app_context():
            user = create_staff(email, password, role)
            database.close()
        return user

    def login(self, email="jean.dupont@example.com", password=PASSWORD):
        page = self.client.get("/")
        return self.client.post(
            "/login",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "email": email,
                "password": password,
            },
        )

    def boater(self, customer_code="C0001"):
        user = self.create_boater(customer_code)
        response = self.login(user.email)
        assert response.status_code == 303, response.get_data(as_text=True)
        return user

    def staff(self, role="admin", email="agent@example.com"):
        self.create_staff(email, role)
        response = self.login(email)
        assert response.status_code == 303
        return email


@pytest.fixture
def auth(app, client):
    return Auth(app, client)


@pytest.fixture
def form_post(client):
    """POST a form the way a browser does: fetch the page, take its CSRF token, send the fields."""

    def post(page_url, action_url=None, **fields):
        page = client.get(page_url)
        fields.setdefault("csrf_token", csrf_token(page.get_data(as_text=True)))
        return client.post(action_url or page_url, data=fields)

    return post


class LiveServer:
    def __init__(self, app, port):
        self.app, self.port = app, port
        self.url = f"http://127.0.0.1:{port}"
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture
def live_server(make_app):
    """The app served over real HTTP on a free port, BASE_URL pointing at it."""
    port = free_port()
    app = make_app(
        BASE_URL=f"http://127.0.0.1:{port}",
        MONETICO_SANDBOX=True,
        MONETICO_URL=f"http://127.0.0.1:{port}/sandbox/monetico/paiement.cgi",
    )
    server = LiveServer(app, port).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if SKIP_BROWSER or not os.path.exists(CHROMIUM):
        browser_missing(f"Debian's chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def page(request, browser):
    """A fresh browser page, once with JavaScript on and once with it off."""
    context = browser.new_context(
        java_script_enabled=request.param, viewport={"width": 375, "height": 812}, locale="fr-FR", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    page.js_enabled = request.param
    yield page
    context.close()


@pytest.fixture
def js_page(browser):
    """A fresh browser page with JavaScript on (for journeys that use htmx polling)."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


def pytest_collection_modifyitems(items):
    """Tests that drive Chromium carry the `browser` marker, so a run can select or skip them."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def at_once(app, *jobs):
    """Run the jobs in threads released together, each in its own request context and database connection;
    returns [result or exception] in the jobs' order. For "double click" and race tests."""
    barrier, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(n, job):
        try:
            with app.test_request_context():
                database.connect(reuse_if_open=True)
                barrier.wait()
                results[n] = job()
                database.close()
        except Exception as e:  # handed back to the test
            results[n] = e

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# Factur-X EN 16931 over the whole suite ---------------------------------------------------------------
# Every issued invoice and credit note that a test's database holds at its end is turned into its CII XML
# (one per distinct content), checked against the Factur-X EN 16931 XSD and the official Schematron
# (../shared/einvoicing/validate.py, beside the project) once at the end of the run: a fatal assertion
# fails the run. Without that folder the Schematron part is skipped, said loudly in the summary.
EINVOICING_VALIDATOR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "einvoicing", "validate.py")
)


def run_schematron(paths):
    """(fatal count, report) of the official EN 16931 Schematron over CII XML or Factur-X PDF files;
    skips the calling test, loudly, when the validator is not beside the project."""
    if not os.path.isfile(EINVOICING_VALIDATOR):
        pytest.skip(f"EN 16931 SCHEMATRON NOT RUN: {EINVOICING_VALIDATOR} is missing (../shared/einvoicing/)")
    done = subprocess.run([sys.executable, EINVOICING_VALIDATOR, *map(str, paths)], capture_output=True, text=True)
    fatal = [line for line in done.stdout.splitlines() if not line.endswith(" fatal assertion(s)")]
    assert done.returncode in (0, 1), done.stderr
    return len(fatal), done.stdout + done.stderr


class EInvoices:
    # Invoices checked per test database: the suite's bulk tests (5,000 invoices of one yearly run) issue
    # thousands made by one code path, whose first hundreds say what the rest would.
    PER_DATABASE = 300

    def __init__(self):
        self.documents = {}  # digest of the data -> (label, data)

    def collect(self, app):
        with app.app_context():
            try:
                for label, data in einvoice.issued_documents(limit=self.PER_DATABASE):
                    if data is not None:
                        key = json.dumps(data, default=str, sort_keys=True)
                        self.documents.setdefault(key, (label, data))
            except peewee.DatabaseError:
                pass  # a test that took its database apart (a missing file, a schema half-made) left no ledger
            finally:
                database.close()

    def check(self, folder):
        """The lines to print, and whether every document passed."""
        from facturx import xml_check_xsd  # lxml and pypdf, only when there is something to check

        paths, problems = [], []
        for n, (label, data) in enumerate(self.documents.values()):
            xml = einvoice.cii_xml(data)
            try:
                xml_check_xsd(xml, flavor="factur-x", level="en16931")
            except Exception as e:
                problems.append(f"{label}: XSD: {e}")
            path = os.path.join(folder, f"{n:05d}-{''.join(c if c.isalnum() else '-' for c in label)}.xml")
            with open(path, "wb") as f:
                f.write(xml)
            paths.append(path)
        if not paths:
            return [], True
        if not os.path.isfile(EINVOICING_VALIDATOR):
            missing = f"EN 16931 SCHEMATRON NOT RUN over {len(paths)} documents: {EINVOICING_VALIDATOR} is missing"
            return [missing, *problems], not problems
        done = subprocess.run([sys.executable, EINVOICING_VALIDATOR, *paths], capture_output=True, text=True)
        problems += [line for line in done.stdout.splitlines() if not line.endswith(" 0 fatal assertion(s)")]
        if done.returncode not in (0, 1):
            problems.append(done.stderr.strip())
        summary = f"{len(paths)} distinct invoices and credit notes, XSD and Schematron"
        return [summary + (" — FAILED:" if problems else ": zero fatal assertion"), *problems], not problems


EINVOICES = EInvoices()


def pytest_sessionfinish(session, exitstatus):
    if WORKER:  # a worker's documents are a part of the run: the serial SQLite run checks them all
        return
    with tempfile.TemporaryDirectory() as folder:
        lines, passed = EINVOICES.check(folder)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and lines:
        reporter.write_sep("-", "Factur-X EN 16931", red=not passed)
        for line in lines:
            reporter.write_line(line, red=not passed)
    if not passed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
