"""Registration and login held against an attacker: case 2 on a customer with an email on file, guessing
invoices, timing the answers, and one login budget per account whichever login page is used."""

import pytest
from conftest import PASSWORD, csrf_token

from marina_portal.core.db import counting_queries
from marina_portal.core.formats import paris_today
from marina_portal.core.queue import huey
from marina_portal.models import Customer

YEAR = paris_today().year
JEAN_INVOICE = {"invoice_number": f"{YEAR}/02135", "invoice_date": f"15/01/{YEAR}", "amount": "1 520,00"}
SOPHIE_INVOICE = {"invoice_number": f"{YEAR}/02301", "invoice_date": f"10/01/{YEAR}", "amount": "2 340,00"}


def register(client, email, environ=None, **invoice):
    page = client.get("/register/contract")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email, **invoice}
    return client.post("/register/contract", data=data, environ_base=environ or {})


def test_case_2_on_a_customer_with_an_email_on_file_mails_that_address_only(client, mailbox):
    response = register(client, "attacker@example.com", **JEAN_INVOICE)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")
    assert "à l'adresse que la capitainerie connaît déjà pour ce contrat s'il y en a une" in page
    messages = mailbox.wait_for(1)
    assert [m["To"] for m in messages] == ["jean.dupont@example.com"]
    assert "LOGIN : jean.dupont@example.com" in mailbox.text(messages[0])
    assert "attacker" not in mailbox.text(messages[0])


def test_case_2_used_on_a_customer_without_email_tells_the_port(app, client, mailbox):
    assert register(client, "sophie@example.com", **SOPHIE_INVOICE).status_code == 303
    link = mailbox.link("sophie@example.com")
    mailbox.clear()
    page = client.get(link)
    client.post(
        link, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": PASSWORD, "confirm": PASSWORD}
    )
    note = mailbox.last("web.management@example.com")
    text = mailbox.text(note)
    assert "MARTIN SOPHIE" in note["Subject"] and "sophie@example.com" in text
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0002").id
    assert f"/staff/customers/{customer_id}" in text


def _guess(client, n, number):
    """A wrong amount for that invoice, from a new address and a new email each time."""
    invoice = dict(SOPHIE_INVOICE, invoice_number=number, amount=f"{100 + n},00")
    return register(client, f"guess{n}@example.com", {"REMOTE_ADDR": f"10.1.{n // 250}.{n % 250}"}, **invoice)


def test_case_2_guesses_on_one_invoice_are_limited_whatever_the_address_and_email(make_app, mailbox):
    client = make_app(REGISTER_INVOICE_LIMIT="3/hour").test_client()
    answers = [_guess(client, n, f"{YEAR}/02301").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    refusal = _guess(client, 9, f" {YEAR}/02301 ")  # the same number, spaced otherwise
    assert refusal.status_code == 429 and "Trop de tentatives" in refusal.get_data(as_text=True)
    # the right facts of another invoice still go through
    assert register(client, "sophie@example.com", **dict(JEAN_INVOICE)).status_code == 303


def test_case_2_guesses_over_many_invoices_reach_a_global_limit(make_app, mailbox):
    client = make_app(REGISTER_LIMIT="5/hour").test_client()
    answers = [_guess(client, n, f"{YEAR}/0{3000 + n}").status_code for n in range(6)]
    assert answers == [200] * 5 + [429]


def _ask(app, monkeypatch, path, email):
    """(SQL statements run by the page, tasks it queued) when asking for a link for `email`."""
    client = app.test_client()
    queued = []
    monkeypatch.setattr(huey, "enqueue", lambda task: queued.append((task.name, task.args)))
    token = csrf_token(client.get("/" if path == "/first-login" else path).get_data(as_text=True))
    with counting_queries() as statements:
        response = client.post(path, data={"csrf_token": token, "email": email})
    assert response.status_code == 303
    return statements.count, queued


@pytest.mark.parametrize("path", ["/first-login", "/password/forgot"])
def test_a_known_and_an_unknown_address_cost_the_page_the_same_work(app, auth, monkeypatch, mailbox, path):
    auth.create_boater("C0001")  # jean.dupont@example.com has a login: a forgotten-password link
    known = _ask(app, monkeypatch, path, "Jean.Dupont@example.com")
    unknown = _ask(app, monkeypatch, path, "nobody@example.com")
    assert known[0] == unknown[0]  # the same SQL, whether the address is known or not
    assert [name for name, _ in known[1]] == [name for name, _ in unknown[1]] == ["mail_password_link"]
    assert known[1][0][1] == ("jean.dupont@example.com",)
    assert mailbox.messages == []  # nothing looked up, rendered nor sent by the page itself


def test_alternating_the_two_login_pages_gives_a_staff_account_one_budget(make_app):
    app = make_app(LOGIN_LIMIT="4/minute")
    client = app.test_client()
    from conftest import Auth

    Auth(app, client).create_staff()

    def wrong(n):
        path = "/login" if n % 2 else "/staff/login"
        page = client.get("/" if path == "/login" else path)
        data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "agent@example.com", "password": "x"}
        return client.post(path, data=data, environ_base={"REMOTE_ADDR": f"10.2.0.{n}"}).status_code

    assert [wrong(n) for n in range(6)] == [200, 200, 200, 200, 429, 429]
