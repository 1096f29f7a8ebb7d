"""One place per concept (issue 12): sizes in metres, htmx fragments, port rows, refusals; the small defects."""

import importlib
import inspect
import os
import pkgutil
import re
import shutil
import subprocess

import conftest
import pytest
from conftest import PASSWORD, csrf_token
from flask import render_template_string
from flask_babel import force_locale

import marina_portal
from marina_portal.contracts.signing import SigningRefused
from marina_portal.core import formats
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.i18n import Translatable
from marina_portal.core.refusals import Refusal
from marina_portal.models import (
    Absence,
    ApplicationStatus,
    AttemptStatus,
    Berth,
    BillingRun,
    BillingRunStatus,
    Boat,
    BoatChangeStatus,
    ChequeDeposit,
    CollectionStatus,
    ConsumptionStatus,
    Contract,
    ContractStatus,
    Customer,
    DebitStatus,
    DirectDebitBatch,
    Document,
    EinvoiceStatus,
    Invoice,
    InvoiceStatus,
    MailStatus,
    Mandate,
    MandateStatus,
    NewsItem,
    Payment,
    PaymentAttempt,
    Port,
    QueuedMail,
    Tariff,
    TariffRate,
    User,
    VisitorStayStatus,
    WaitingListApplication,
)

TODAY = paris_today()


def _text(response):
    return response.get_data(as_text=True).replace("&#39;", "'")


@pytest.mark.parametrize(
    "centimetres, shown, typed",
    [(950, "9,50 m", "9,50"), (1000, "10,00 m", "10,00"), (5, "0,05 m", "0,05"), (0, "—", ""), (None, "—", "")],
)
def test_metres_is_written_one_way(centimetres, shown, typed):
    assert formats.metres(centimetres) == shown
    assert formats.metres(centimetres, unit=False) == typed


def test_one_metres_filter_for_every_template(app):
    assert app.jinja_env.filters["metres"] is formats.metres


def test_the_staff_berth_offer_page_writes_sizes_the_french_way(app, auth):
    with app.app_context():
        application = WaitingListApplication.create(
            port=Port.get(),
            last_name="MARIN",
            email="paul.marin@example.com",
            boat_name="ALBATROS",
            length_cm=850,
            beam_cm=290,
            draught_cm=140,
            status="active",
        )
        Berth.create(port=Port.get(), code="C-01", length_cm=1000, width_cm=350)  # free: the offer lists it
        database.close()
    auth.staff()
    page = _text(auth.client.get(f"/staff/port/waiting-list/{application.id}/offer"))
    assert "(8,50 m × 2,90 m)" in page
    assert "C-01 — 10,00 m × 3,50 m" in page  # the berth choices, once "10.00 × 3.50 m"
    assert ".00" not in page.split("<select", 1)[1].split("</select>", 1)[0]


HISTORY_RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def test_a_history_restore_gets_the_whole_contract_page(app, client, auth):
    auth.boater()
    with app.app_context():
        cid = Contract.select(Contract.id).join(Customer).where(Customer.code == "C0001").scalar()
    assert "<html" not in _text(client.get(f"/contract/{cid}/sign", headers={"HX-Request": "true"}))
    assert "<html" in _text(client.get(f"/contract/{cid}/sign", headers=HISTORY_RESTORE))


def test_a_history_restore_gets_the_whole_payment_page(app, client, auth):
    auth.boater()
    with app.app_context():
        invoice = Invoice.select().join(Customer).where(Customer.code == "C0001").first()
        PaymentAttempt.create(
            invoice=invoice, customer=invoice.customer, reference="HOUSE0001", amount_cents=100, status="pending"
        )
        database.close()
    assert "<html" not in _text(client.get("/payment/HOUSE0001/ok", headers={"HX-Request": "true"}))
    assert "<html" in _text(client.get("/payment/HOUSE0001/ok", headers=HISTORY_RESTORE))
    assert "<html" in _text(client.get("/payment/HOUSE0001/ok", headers={"HX-Request": "true", "HX-Boosted": "true"}))


def test_a_history_restore_of_a_progress_poll_goes_to_the_page(app, client, auth):
    with app.app_context():
        item = NewsItem.create(port=Port.get(), title="Alerte", body="…", mail_total=10, mail_sent=4)
        database.close()
    auth.staff()
    assert client.get(f"/staff/port/news/{item.id}/progress", headers={"HX-Request": "true"}).status_code == 200
    assert client.get(f"/staff/port/news/{item.id}/progress", headers=HISTORY_RESTORE).status_code == 302
    assert client.get("/staff/insurance/progress", headers={"HX-Request": "true"}).status_code == 200
    assert client.get("/staff/insurance/progress", headers=HISTORY_RESTORE).status_code == 302


def _in_english(app, customer_code="C0001"):
    with app.app_context():
        Customer.update(language="en").where(Customer.code == customer_code).execute()
        User.update(language="en").where(User.customer == Customer.get(Customer.code == customer_code)).execute()
        database.close()


def test_an_english_boater_choosing_a_password_reads_english(app, client, mailbox):
    _in_english(app)
    page = client.get("/")
    client.post(
        "/first-login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "jean.dupont@example.com"}
    )
    path = mailbox.link().split("127.0.0.1:5000", 1)[-1]
    form = client.get(path)
    response = client.post(
        path, data={"csrf_token": csrf_token(_text(form)), "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 303
    home = _text(client.get("/"))
    assert "Your password is saved. Welcome to the portal." in home
    assert "Votre mot de passe est enregistré" not in home


def test_an_english_boater_changing_a_password_reads_english(app, client, auth):
    auth.create_boater()
    _in_english(app)
    auth.login()
    page = client.get("/account/password")
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(_text(page)),
            "current": "not it",
            "password": "a new long password",
            "confirm": "a new long password",
        },
    )
    assert "The current password is not the right one." in _text(wrong)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(_text(page)),
            "current": PASSWORD,
            "password": "a new long password",
            "confirm": "a new long password",
        },
    )
    assert response.status_code == 303
    home = _text(client.get("/"))
    assert "Your password has been changed. Your other sessions have been closed." in home
    assert "Votre mot de passe a été changé" not in home


def test_a_wrong_password_is_explained_in_english_too(client):
    page = client.get("/")
    token = csrf_token(page.get_data(as_text=True))
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/"})
    page = client.get("/")
    response = client.post(
        "/login", data={"csrf_token": csrf_token(_text(page)), "email": "nobody@example.com", "password": "wrong one"}
    )
    assert "Incorrect login or password." in _text(response)


def test_staff_reach_no_row_of_another_port(app, client, auth):
    """Every staff page taking a row id answers 404 for a row of another port (views/staff.port_row_or_404)."""
    with app.app_context():
        other = Port.create(name="Autre port", code="AUTRE")
        customer = Customer.create(port=other, last_name="AILLEURS")
        boat = Boat.create(customer=customer, name="LOIN")
        berth = Berth.create(port=other, code="Z-01", length_cm=900, width_cm=300)
        contract = Contract.create(
            port=other, customer=customer, berth=berth, number="Z1", starts_on=TODAY, ends_on=TODAY, status="sent"
        )
        invoice = Invoice.create(port=other, customer=customer, number="Z/1", issued_on=TODAY, total_cents=100)
        payment = Payment.create(invoice=invoice, method="cash", amount_cents=100, received_on=TODAY)
        batch = DirectDebitBatch.create(port=other, collection_date=TODAY)
        absence = Absence.create(contract=contract, starts_on=TODAY, ends_on=TODAY)
        application = WaitingListApplication.create(port=other, last_name="LOIN", email="loin@example.com")
        news = NewsItem.create(port=other, title="Ailleurs", body="…")
        document = Document.create(
            port=other,
            title="Ailleurs",
            filename="a.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0",
            stored_as="x",
        )
        run = BillingRun.create(port=other, year=TODAY.year, kind="invoicing")
        deposit = ChequeDeposit.create(port=other, deposited_on=TODAY)
        tariff = Tariff.create(port=other, year=TODAY.year + 5)
        rate = TariffRate.create(tariff=tariff, category="A", length_to_cm=1000, price_ht_cents=100)
        database.close()
    auth.staff()
    for path in [
        f"/staff/customers/{customer.id}",
        f"/staff/customers/{customer.id}/edit",
        f"/staff/customers/{customer.id}/contracts/new",
        f"/staff/customers/{customer.id}/invoices/new",
        f"/staff/customers/{customer.id}/boats/new",
        f"/staff/contracts/{contract.id}/edit",
        f"/staff/invoices/{invoice.id}",
        f"/staff/boats/{boat.id}/edit",
        f"/staff/direct-debits/{batch.id}",
        f"/staff/port/absences/{absence.id}/letting",
        f"/staff/port/waiting-list/{application.id}/offer",
        f"/staff/port/news/{news.id}/progress",
        f"/staff/yearly-run/runs/{run.id}",
        f"/staff/cheque-deposits/{deposit.id}.pdf",
        f"/staff/tariffs/{tariff.id}",
        f"/staff/tariff-rates/{rate.id}",
    ]:
        assert client.get(path).status_code == 404, path
    token = csrf_token(_text(client.get("/staff/")))
    for path in [
        f"/staff/payments/{payment.id}/cancel",
        f"/staff/documents/{document.id}/withdraw",
        f"/staff/invoices/{invoice.id}/dispute",
        f"/staff/tariffs/{tariff.id}/publish",
        f"/staff/tariff-rates/{rate.id}/delete",
    ]:
        assert client.post(path, data={"csrf_token": token, "reason": "erreur"}).status_code == 404, path


def test_staff_views_find_a_port_row_through_the_one_helper():
    """A row looked up by id and port is found by port_row_or_404, not by a filter written again in a view."""
    hand_written = re.compile(r"\.id == \w+\)\s*&\s*\(\w+\.port == current_port\(\)\)")
    folder = os.path.join(os.path.dirname(marina_portal.__file__), "views")
    found = []
    for root, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".py") and not (name == "frame.py" and root.endswith("staff")):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    found += [f"{name}: {m.group(0)}" for m in hand_written.finditer(f.read())]
    assert found == []


INTERNAL_EXCEPTIONS = {
    "NothingToPay",
    "BadSeal",
    "PaymentInProgress",  # carries the open attempt: the view shows it, not words
    "PaymentUnavailable",
    "AddressNeeded",
    "SealError",  # the signing refusal that wraps it is the one shown
}  # never shown to anyone as such: the views check first


def test_every_refusal_of_a_feature_is_a_refusal(app):
    """A view catches one kind of thing and shows its words: every exception a feature defines is a Refusal."""
    assert Translatable is Refusal
    found = []
    for info in pkgutil.walk_packages(marina_portal.__path__, "marina_portal."):
        if info.name.startswith(("marina_portal.core", "marina_portal.views", "marina_portal.migrations")):
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, Exception) and name not in INTERNAL_EXCEPTIONS:
                found.append(cls)
                assert issubclass(cls, Refusal), f"{info.name}.{name}"
    assert len(found) >= 15


def test_a_refusal_is_translated_where_it_is_shown(app):
    refusal = SigningRefused("Ce contrat est déjà signé : il ne peut pas être signé une seconde fois.")
    assert str(refusal).startswith("Ce contrat est déjà signé")  # the CLI and the back office read French
    with app.test_request_context(), force_locale("en"):
        assert refusal.translated() == "This contract is already signed: it cannot be signed a second time."


@pytest.mark.parametrize(
    "vocabulary, stored",
    [
        (ContractStatus, ["draft", "sent", "signed", "cancelled"]),
        (AttemptStatus, ["pending", "paid", "refused", "mismatch"]),
        (MandateStatus, ["draft", "active", "revoked", "lapsed", "suspended"]),
        (DebitStatus, ["pending", "collected", "returned"]),
        (ApplicationStatus, ["pending", "active", "offered", "accepted", "lapsed", "withdrawn"]),
        (BoatChangeStatus, ["pending", "approved", "refused", "replaced", "withdrawn"]),
        (CollectionStatus, ["", "in_progress"]),
        (InvoiceStatus, ["draft", "issued"]),
        (BillingRunStatus, ["running", "done", "failed"]),
        (MailStatus, ["pending", "sent", "failed"]),
        (ConsumptionStatus, ["open", "disputed", "invoiced", "replaced", "included"]),
        (VisitorStayStatus, ["held", "paid", "expired", "conflict"]),
        (EinvoiceStatus, ["deposee", "recue", "rejetee", "encaissee"]),
    ],
)
def test_a_status_vocabulary_holds_the_words_stored(vocabulary, stored):
    """Members equal the strings in the database, so code comparing with "pending" keeps working."""
    assert [member.value for member in vocabulary] == stored
    assert all(member == value and isinstance(member, str) for member, value in zip(vocabulary, stored, strict=True))
    assert all(member.label or not member.value for member in vocabulary)
    assert vocabulary.label_of("not one of ours") == "not one of ours"


def test_status_defaults_and_labels_on_the_pages(app):
    assert Contract.status.default is ContractStatus.DRAFT and Mandate.status.default is MandateStatus.DRAFT
    assert Invoice.status.default is InvoiceStatus.ISSUED and BillingRun.status.default is BillingRunStatus.RUNNING
    assert QueuedMail.status.default is MailStatus.PENDING
    with app.test_request_context():
        assert render_template_string("{{ MandateStatus.label_of(s) }}", s="lapsed") == "caduc"
        assert render_template_string("{{ DebitStatus.label_of('returned') }}") == "rejeté"
        assert render_template_string("{{ InvoiceStatus.label_of('draft') }}") == "brouillon"
    with app.app_context():
        assert Contract.select().where(Contract.status == ContractStatus.SENT).count() == 2  # the demo's contracts


def test_a_missing_browser_fails_unless_skipping_is_asked_for(monkeypatch):
    """Browser journeys never skip silently: without Chromium (or axe-core) they fail; MARINA_SKIP_BROWSER=1 skips."""
    monkeypatch.setattr(conftest, "SKIP_BROWSER", False)
    with pytest.raises(pytest.fail.Exception, match="MARINA_SKIP_BROWSER=1"):
        conftest.browser_missing("no chromium")
    monkeypatch.setattr(conftest, "SKIP_BROWSER", True)
    with pytest.raises(pytest.skip.Exception):
        conftest.browser_missing("no chromium")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ECHO_FLASK = "FLASK=sh -c 'echo BASE=$$MARINA_BASE_URL ARGS=$$*' flask"  # stands in for flask: says what it got


def _make_run(tmp_path, **env):
    existing = tmp_path / "portal.sqlite3"
    existing.touch()  # an existing database: no demo loading
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_") and k != "PORT"}
    result = subprocess.run(
        ["make", "-s", "run", f"DB={existing}", ECHO_FLASK],
        cwd=ROOT,
        env=environment | env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_make_run_serves_on_the_port_asked_with_base_url_following(tmp_path):
    assert _make_run(tmp_path) == "BASE=http://127.0.0.1:5000 ARGS=run --host 127.0.0.1 --port 5000"
    assert _make_run(tmp_path, PORT="5001") == "BASE=http://127.0.0.1:5001 ARGS=run --host 127.0.0.1 --port 5001"
    chosen = _make_run(tmp_path, PORT="5001", MARINA_BASE_URL="https://marina.example")
    assert chosen == "BASE=https://marina.example ARGS=run --host 127.0.0.1 --port 5001"


@pytest.mark.skipif(not shutil.which("dpkg-query"), reason="the packages check is for Debian")
def test_missing_system_packages_stop_make_with_the_apt_get_line():
    command = ["sh", "scripts/system-packages", "make", "marina-portal-no-such-package"]
    if os.geteuid() == 0:  # as root it would install: check what a developer's own account sees
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "sudo apt-get install -y --no-install-recommends marina-portal-no-such-package\n" in result.stderr
    everything_there = subprocess.run(["sh", "scripts/system-packages", "make"], cwd=ROOT, capture_output=True)
    assert everything_there.returncode == 0 and everything_there.stdout == everything_there.stderr == b""
