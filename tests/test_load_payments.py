"""Reliability against a real gunicorn: many boaters paying at once through the sandbox, and a worker
killed in the middle of a bank notification, then the bank's retry."""

import datetime as dt
import html
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests
from conftest import PASSWORD, free_port, on_sqlite_only
from payments_support import OK, notification

from marina_portal.accounts.logins import hash_password
from marina_portal.core.db import database
from marina_portal.models import Customer, Invoice, Payment, PaymentAttempt, Port, User

BOATERS = int(os.environ.get("LOAD_BOATERS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def add_boaters(app, count, invoices_each=40):
    password = hash_password(PASSWORD)
    with app.app_context(), database.atomic():
        port = Port.get()
        for n in range(count):
            customer = Customer.create(
                port=port,
                code=f"LOAD{n:03d}",
                last_name=f"PLAISANCIER{n:03d}",
                street="1 QUAI",
                postcode="66000",
                town="PERPIGNAN",
            )
            User.create(email=f"load{n}@example.com", password_hash=password, customer=customer)
            Invoice.insert_many(
                [
                    {
                        "port": port.id,
                        "customer": customer.id,
                        "number": f"L{n:03d}-{i:03d}",
                        "issued_on": dt.date(2026, 1, 1),
                        "label": "Facture de prestation",
                        "total_cents": 1000 + i,
                    }
                    for i in range(invoices_each)
                ]
            ).execute()
    database.close()


class Gunicorn:
    def __init__(self, app, workers=2, threads=32):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = app.config
        env = dict(
            os.environ,
            MARINA_DATABASE=config["DATABASE"],
            MARINA_DATA_DIR=config["DATA_DIR"],
            MARINA_SECRET_KEY=config["SECRET_KEY"],
            MARINA_BASE_URL=self.url,
            MARINA_MONETICO_SANDBOX="true",
            MARINA_MONETICO_URL=self.url + "/sandbox/monetico/paiement.cgi",
            MARINA_MAIL_OUTBOX="true",
            MARINA_HUEY_IMMEDIATE="true",
            MARINA_LOGIN_LIMIT="100000/minute",
            MARINA_MAIL_LIMIT="100000/minute",
            MARINA_SIGNING_KEY_FILE=config["SIGNING_KEY_FILE"],
            MARINA_SIGNING_CERT_FILE=config["SIGNING_CERT_FILE"],
        )
        # threads: the sandbox calls the portal back while its own request is still open, as a bank would
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--graceful-timeout",
                "2",
                "marina_portal:create_app()",
            ],
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def workers(self):
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def token_of(page):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def hidden_fields(form_html):
    return {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form_html)
    }


class Boater:
    """One browsing boater: account page, a payment through the sandbox, the return page."""

    def __init__(self, base, email, statuses, refusals):
        self.base, self.email, self.statuses, self.refusals = base, email, statuses, refusals
        self.http = requests.Session()

    def get(self, path, **kw):
        response = self.http.get(self.base + path if path.startswith("/") else path, timeout=60, **kw)
        self.statuses.append(response.status_code)
        return response

    def post(self, url, **kw):
        response = self.http.post(url if url.startswith("http") else self.base + url, timeout=60, **kw)
        self.statuses.append(response.status_code)
        if 400 <= response.status_code < 500:  # kept with the page's words, to say why in the failure
            words = re.sub(r"<[^>]+>|\s+", " ", response.text.split("<main", 1)[-1])[:300]
            self.refusals.append(f"{response.status_code} {url[-40:]} {words}")
        return response

    def login(self):
        page = self.get("/").text
        self.post("/login", data={"csrf_token": token_of(page), "email": self.email, "password": PASSWORD})

    def pay_one(self, decision):
        account = self.get("/account/").text
        found = re.search(r'href="(/payment/invoices/\d+)"', account)
        if not found:
            return None
        confirm = self.get(found.group(1)).text
        to_bank = self.post(found.group(1), data={"csrf_token": token_of(confirm), "receipt_email": self.email}).text
        form = re.search(r'<form method="post" action="([^"]+)" data-autosubmit>(.*?)</form>', to_bank, re.S)
        bank_page = self.post(html.unescape(form.group(1)), data=hidden_fields(form.group(2))).text
        fields = hidden_fields(bank_page)
        fields["csrf_token"] = token_of(bank_page)
        fields["decision"] = decision
        self.post("/sandbox/monetico/decision", data=fields)
        return decision


@on_sqlite_only
@pytest.mark.slow
def test_many_boaters_paying_at_once(make_app):
    app = make_app()
    add_boaters(app, BOATERS)
    server = Gunicorn(app)
    statuses, refusals, decisions, errors = [], [], [], []
    stop_at = time.monotonic() + SECONDS

    def run(n):
        try:
            boater = Boater(server.url, f"load{n}@example.com", statuses, refusals)
            boater.login()
            while time.monotonic() < stop_at:
                decision = boater.pay_one("pay" if (n + len(decisions)) % 4 else "refuse")
                if decision:
                    decisions.append(decision)
                boater.get("/documents/")
        except Exception as e:  # reported below: a test thread must not die silently
            errors.append(repr(e))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(BOATERS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 120)
    finally:
        server.stop()
    assert errors == []
    assert statuses and not [s for s in statuses if s >= 500]
    assert refusals == []
    with app.app_context():
        paid = list(PaymentAttempt.select().where(PaymentAttempt.status == "paid"))
        card = list(Payment.select().where(Payment.method == "card"))
        refused = PaymentAttempt.select().where(PaymentAttempt.status == "refused").count()
        from collections import Counter

        from marina_portal.models import PaymentNotification

        seen = Counter(n.outcome for n in PaymentNotification.select())
        assert len(paid) == decisions.count("pay") and refused == decisions.count("refuse"), seen
        # every accepted notification recorded exactly once, and the sums reconcile
        assert sorted(p.attempt_id for p in card) == sorted(a.id for a in paid)
        assert sum(p.amount_cents for p in card) == sum(a.amount_cents for a in paid)
        assert all(i.balance_cents >= 0 for i in Invoice.with_paid())
        database.close()
    print(f"{len(decisions)} payments in {SECONDS:.0f} s by {BOATERS} boaters, {len(statuses)} requests")


@on_sqlite_only
def test_worker_killed_mid_notification_then_the_bank_retries(make_app):
    app = make_app()
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith("02135"))
        PaymentAttempt.create(invoice=invoice, customer=invoice.customer, reference="KILLED1", amount_cents=85000)
        database.close()
    server = Gunicorn(app, workers=1, threads=4)
    fields = notification("KILLED1")
    lock = sqlite3.connect(app.config["DATABASE"], isolation_level=None, timeout=30)
    try:
        lock.execute("BEGIN EXCLUSIVE")  # the worker will block inside the notification, before any commit
        outcome = {}

        def bank_call():
            try:
                outcome["first"] = requests.post(server.url + "/payment/monetico/notify", data=fields, timeout=30)
            except requests.RequestException as e:
                outcome["first"] = e

        caller = threading.Thread(target=bank_call)
        caller.start()
        time.sleep(1.5)
        (worker,) = server.workers()
        os.kill(worker, signal.SIGKILL)
        caller.join(30)
        lock.execute("COMMIT")
        assert not isinstance(outcome["first"], requests.Response) or outcome["first"].text != OK
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the master starts a new worker
            try:
                retry = requests.post(server.url + "/payment/monetico/notify", data=fields, timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        assert retry.text == OK
        again = requests.post(server.url + "/payment/monetico/notify", data=fields, timeout=10)
        assert again.text == OK
    finally:
        lock.close()
        server.stop()
    with app.app_context():
        attempt = PaymentAttempt.get(PaymentAttempt.reference == "KILLED1")
        assert attempt.status == "paid"
        assert Payment.select().where(Payment.attempt == attempt).count() == 1
        assert Invoice.with_paid().where(Invoice.id == attempt.invoice_id).first().balance_cents == 0
        database.close()
