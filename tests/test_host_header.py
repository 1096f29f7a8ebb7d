"""Links that leave the site come from BASE_URL, never from the Host header a visitor sends; other hosts are refused."""

import re
from urllib.parse import urlsplit

import pytest
from conftest import FOREIGN_HOST, csrf_token

from marina_portal.core.formats import paris_today
from marina_portal.models import Contract

BASE = "http://portail.example.com:8080"  # plain http: the test client keeps its cookies
APP_CONFIG = {"BASE_URL": BASE, "MONETICO_SANDBOX": True, "EXTRA_HOSTS": ["localhost"]}
YEAR = paris_today().year


def _post(client, page_url, action_url=None, headers=None, **fields):
    page = client.get(page_url, headers=headers)
    if page.status_code != 200:
        return page
    fields["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post(action_url or page_url, data=fields, headers=headers)


def test_a_forgotten_password_asked_with_a_foreign_host_is_refused_and_mails_nothing(client, auth, mailbox):
    auth.create_boater()
    page = client.get("/password/forgot", headers={"Host": FOREIGN_HOST})
    token = csrf_token(page.get_data(as_text=True)) if page.status_code == 200 else ""
    response = client.post(
        "/password/forgot",
        data={"email": "jean.dupont@example.com", "csrf_token": token},
        headers={"Host": FOREIGN_HOST},
    )
    assert response.status_code == 400
    assert "Requête incorrecte" in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_the_health_check_answers_whatever_host_a_load_balancer_names(client):
    assert client.get("/healthz", headers={"Host": "10.0.0.11:8000"}).status_code == 200


@pytest.fixture
def visitor(client):
    """A client that calls the portal by another name it answers to (localhost, listed in EXTRA_HOSTS here)."""
    client.base_url = "http://localhost"
    return client


def _mail_every_kind(client, auth, app, mailbox):
    """Ask, through another name than BASE_URL's, for every mail a visitor can trigger."""
    auth.create_boater("C0001")
    _post(client, "/password/forgot", email="jean.dupont@example.com")  # password_reset
    _post(client, "/", "/first-login", email="nobody@example.com")  # nothing
    with app.app_context():
        from marina_portal.models import User

        User.delete().execute()
    _post(client, "/", "/first-login", email="jean.dupont@example.com")  # first_login
    _post(
        client,
        "/register/contract",
        email="sophie@example.com",
        invoice_number=f"{YEAR}/02301",
        invoice_date=f"10/01/{YEAR}",
        amount="2340",
    )  # register
    _post(
        client,
        "/waiting-list/apply",
        last_name="MARIN",
        first_name="Paul",
        email="paul.marin@example.com",
        boat_name="Alizé",
        boat_type="Voilier",
        length="8,50",
        beam="3,00",
        draught="1,20",
        wanted_from="",
        wanted_to="",
    )  # waiting_list_confirm
    office = app.test_client()
    auth.__class__(app, office).staff()
    with app.app_context():
        contract = Contract.select().first()
    page = office.get(f"/staff/customers/{contract.customer_id}").get_data(as_text=True)
    office.post(f"/staff/contracts/{contract.id}/send", data={"csrf_token": csrf_token(page)})  # contract_to_sign
    return mailbox.wait_for(5)


def test_every_mailed_link_points_at_base_url_and_a_foreign_host_cannot_replay_it(app, visitor, auth, mailbox):
    messages = _mail_every_kind(visitor, auth, app, mailbox)
    links = mailbox.links()
    subjects = {m["Subject"] for m in messages}
    assert len(subjects) >= 4, subjects
    assert links and all(link.startswith(BASE + "/") for link in links), links
    real = app.test_client()
    for link in links:
        parts = urlsplit(link)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        assert real.get(path, headers={"Host": FOREIGN_HOST}).status_code == 400
        assert real.get(path).status_code != 400, link


def test_the_bank_return_urls_and_the_calendar_feed_come_from_base_url(app, visitor, auth):
    client = visitor
    auth.boater()
    with app.app_context():
        from marina_portal.models import Invoice

        invoice_id = Invoice.get(Invoice.number == f"{YEAR}/02135").id
    page = client.post(
        f"/payment/invoices/{invoice_id}",
        data={
            "csrf_token": csrf_token(client.get(f"/payment/invoices/{invoice_id}").get_data(as_text=True)),
            "receipt_email": "jean.dupont@example.com",
        },
    ).get_data(as_text=True)
    returns = re.findall(r'name="url_retour_(?:ok|err)" value="([^"]+)"', page)
    assert len(returns) == 2 and all(url.startswith(BASE + "/payment/") for url in returns), returns

    office = app.test_client()
    office.base_url = "http://localhost"
    auth.__class__(app, office).staff()
    calendar = office.get("/staff/port/calendar").get_data(as_text=True)
    assert f"{BASE}/staff/port/calendar.ics?key=" in calendar
    assert "http://localhost" not in calendar


@pytest.mark.parametrize(
    "base_url,host,trusted",
    [
        ("https://portail.example.com", "portail.example.com", True),
        ("https://portail.example.com", "PORTAIL.example.com:443", True),
        ("https://portail.example.com", "evil.example", False),
        ("https://portail.example.com", "portail.example.com.evil.example", False),
        ("http://127.0.0.1:5000", "localhost:5000", True),
    ],
)
def test_only_base_url_host_is_answered(make_app, base_url, host, trusted):
    app = make_app(BASE_URL=base_url, EXTRA_HOSTS=None)
    status = app.test_client().get("/", headers={"Host": host}).status_code
    assert (status == 200) is trusted
