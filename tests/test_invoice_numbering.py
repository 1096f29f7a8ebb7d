"""Issuing numbers invoices gaplessly: drafts have none, each issue takes the next of its year's series under a
lock, even when many staff issue at once on a real server; issued invoices are never edited nor deleted."""

import datetime as dt
import re
import threading

import pytest
import requests
from conftest import PASSWORD, Auth, at_once, csrf_token

from marina_portal.billing import credit_notes, invoicing, numbering
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import CreditNote, Customer, Invoice, NumberSeries, Port

YEAR = paris_today().year
DEMO_LAST = 2301  # the demo's highest number this year (Y/02301): the portal's series continues after it


def set_identity(app):
    with app.app_context():
        port = Port.current()
        port.siren, port.vat_number = "732829320", "FR44732829320"
        port.save()
        database.close()


def drafts(app, n, customer_code="C0001"):
    with app.app_context():
        customer = Customer.get(Customer.code == customer_code)
        ids = [
            invoicing.create_draft(None, customer, f"Prestation {i}", [invoicing.Line("Grutage", 1000, 15000)]).id
            for i in range(n)
        ]
        database.close()
    return ids


def numbers(app):
    with app.app_context():
        found = [n for (n,) in Invoice.select(Invoice.number).where(Invoice.series == str(YEAR)).tuples()]
        database.close()
    return sorted(found)


def expected(first, count, prefix=str(YEAR)):
    return [f"{prefix}/{n:05d}" for n in range(first, first + count)]


def test_a_draft_has_no_number_and_issuing_gives_the_next_one(app):
    set_identity(app)
    first, second = drafts(app, 2)
    with app.app_context():
        assert Invoice.get_by_id(first).number == "" and Invoice.get_by_id(first).is_draft
        issued = invoicing.issue(second)
        assert issued.number == f"{YEAR}/{DEMO_LAST + 1:05d}" and issued.issued_on == paris_today()
        assert issued.due_on == paris_today() + dt.timedelta(days=30)
        assert invoicing.issue(first).number == f"{YEAR}/{DEMO_LAST + 2:05d}"


def test_an_issued_invoice_is_never_edited_deleted_or_issued_again(app):
    set_identity(app)
    (draft_id,) = drafts(app, 1)
    with app.app_context():
        invoice = invoicing.issue(draft_id)
        for attempt in (
            lambda: invoicing.issue(invoice),
            lambda: invoicing.delete_draft(None, invoice),
            lambda: invoicing.update_draft(None, invoice, "Autre", [invoicing.Line("Eau", 1000, 100)]),
        ):
            with pytest.raises(invoicing.Refused, match="Corrigez-la par un avoir"):
                attempt()
        assert Invoice.get_by_id(invoice.id).total_cents == 18000


def test_a_deleted_draft_costs_no_number(app):
    set_identity(app)
    first, second = drafts(app, 2)
    with app.app_context():
        invoicing.delete_draft(None, Invoice.get_by_id(first))
        assert invoicing.issue(second).number == f"{YEAR}/{DEMO_LAST + 1:05d}"


def test_issuing_is_refused_until_the_port_has_its_legal_identity(app):
    (draft_id,) = drafts(app, 1)
    with app.app_context():
        with pytest.raises(invoicing.Refused, match="SIREN"):
            invoicing.issue(draft_id)
        assert Invoice.get_by_id(draft_id).number == "" and not NumberSeries.select().exists()


def test_a_number_already_imported_is_skipped_not_given_twice(app):
    set_identity(app)
    first, second = drafts(app, 2)
    with app.app_context():
        invoicing.issue(first)
        customer = Customer.get(Customer.code == "C0002")
        taken = f"{YEAR}/{DEMO_LAST + 2:05d}"
        Invoice.create(port=customer.port, customer=customer, number=taken, issued_on=paris_today(), total_cents=100)
        assert invoicing.issue(second).number == f"{YEAR}/{DEMO_LAST + 3:05d}"


def test_issuing_at_once_in_threads_gives_consecutive_numbers(app):
    set_identity(app)
    ids = drafts(app, 8)
    results = at_once(app, *[lambda i=i: invoicing.issue(i).number for i in ids])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == expected(DEMO_LAST + 1, 8) == numbers(app)


def test_the_same_draft_issued_twice_at_once_takes_one_number(app):
    set_identity(app)
    (draft_id,) = drafts(app, 1)
    results = at_once(app, *[lambda: invoicing.issue(draft_id).number for _ in range(4)])
    assert [r for r in results if isinstance(r, str)] == [f"{YEAR}/{DEMO_LAST + 1:05d}"]
    assert all("émise" in str(r) for r in results if not isinstance(r, str))
    assert numbers(app) == expected(DEMO_LAST + 1, 1)


def test_credit_notes_at_once_have_their_own_gapless_series(app):
    set_identity(app)
    ids = drafts(app, 6)
    with app.app_context():
        for invoice_id in ids:
            invoicing.issue(invoice_id)
        database.close()
    results = at_once(app, *[lambda i=i: credit_notes.issue_credit_note(None, i, "Geste").number for i in ids])
    assert sorted(results) == expected(1, 6, f"AV{YEAR}"), results
    with app.app_context():
        assert CreditNote.select().count() == 6


def _staff_session(server):
    Auth(server.app, server.app.test_client()).create_staff("numbers@example.com", "agent")
    http = requests.Session()
    page = http.get(server.url + "/staff/login", timeout=30).text
    answer = http.post(
        server.url + "/staff/login",
        data={"csrf_token": csrf_token(page), "email": "numbers@example.com", "password": PASSWORD},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 303
    return http


def test_staff_issuing_at_once_on_a_live_server_gives_gapless_numbers(live_server):
    """Twelve drafts issued by twelve simultaneous POSTs through the real HTTP server, twice each."""
    app = live_server.app
    set_identity(app)
    ids = drafts(app, 12)
    http = _staff_session(live_server)
    token = csrf_token(http.get(f"{live_server.url}/staff/invoices/{ids[0]}", timeout=30).text)
    barrier, answers = threading.Barrier(24), []

    def issue(invoice_id):
        barrier.wait()
        answer = http.post(
            f"{live_server.url}/staff/invoices/{invoice_id}/issue",
            data={"csrf_token": token},
            timeout=60,
            allow_redirects=False,
        )
        answers.append(answer.status_code)

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids + ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303] * 24
    assert numbers(app) == expected(DEMO_LAST + 1, 12)
    with app.app_context():
        assert not Invoice.select().where(Invoice.status == "draft").exists()
        counter = NumberSeries.get(NumberSeries.name == str(YEAR))
        assert counter.last_number == DEMO_LAST + 12
    page = http.get(f"{live_server.url}/staff/invoices/{ids[0]}", timeout=30).text
    assert re.search(rf"Facture {YEAR}/0\d{{4}}", page)


def test_series_are_per_year_and_start_after_the_highest_number_present(app):
    set_identity(app)
    (draft_id,) = drafts(app, 1)
    with app.app_context():
        next_year = dt.date(YEAR + 1, 1, 2)
        assert invoicing.issue(draft_id, on=next_year).number == f"{YEAR + 1}/00001"
        assert numbering.format_number("AV2027", 3) == "AV2027/00003"


def test_issue_many_numbers_in_the_order_given_and_a_second_run_issues_nothing(app):
    set_identity(app)
    ids = drafts(app, 5)
    with app.app_context():
        numbers_given = invoicing.issue_many(list(reversed(ids)))
        assert [numbers_given[i] for i in reversed(ids)] == expected(DEMO_LAST + 1, 5)
        assert invoicing.issue_many(ids) == {}
        assert Invoice.get_by_id(ids[0]).due_on == paris_today() + dt.timedelta(days=30)


def test_issue_many_and_single_issues_at_once_share_one_gapless_series(app):
    set_identity(app)
    batch, singles = drafts(app, 20), drafts(app, 4)
    jobs = [lambda: len(invoicing.issue_many(batch))] + [lambda i=i: invoicing.issue(i).number for i in singles]
    results = at_once(app, *jobs)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert numbers(app) == expected(DEMO_LAST + 1, 24)


def test_issuing_copies_the_contract_s_payment_schedule(app):
    set_identity(app)
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        contract = customer.contracts.get()
        contract.payment_schedule = "card_3"
        contract.save()
        line = invoicing.Line("Place", 1000, 30000)
        made = [invoicing.create_draft(None, customer, "Place", [line], contract_id=contract.id) for _ in range(2)]
        invoicing.issue_many([made[0].id])
        invoicing.issue(made[1].id)
        assert [Invoice.get_by_id(d.id).payment_schedule for d in made] == ["card_3", "card_3"]
