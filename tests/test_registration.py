"""The tutorial's INSCRIPTION: case 1 (email on file) and case 2 (prove a contract with an invoice)."""

import datetime as dt
import re
import time

import pytest
from conftest import PASSWORD, csrf_token
from itsdangerous import URLSafeTimedSerializer

from marina_portal.core.formats import paris_today
from marina_portal.models import Customer, UsedToken, User

YEAR = paris_today().year


def ask_first_login(client, email):
    page = client.get("/")
    return client.post(
        "/first-login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email, "password": ""}
    )


def choose_password(client, link, password=PASSWORD):
    path = link.split("127.0.0.1:5000", 1)[-1] if "127.0.0.1:5000" in link else link
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(
        path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": password, "confirm": password}
    )


def test_case_1_mail_link_sets_password_and_logs_in(client, mailbox, app):
    response = ask_first_login(client, "jean.dupont@example.com")
    assert response.status_code == 303
    mail = mailbox.last("jean.dupont@example.com")
    text = mailbox.text(mail)
    assert "LOGIN : jean.dupont@example.com" in text
    assert "mot de passe :" not in text.lower()  # a link to choose one, never a password
    assert mail.get_body(preferencelist=("html",)) is not None
    response = choose_password(client, mailbox.link())
    assert response.status_code == 303
    home = client.get("/")
    assert "Bienvenue Jean DUPONT" in home.get_data(as_text=True)
    with app.app_context():
        assert User.get(User.email == "jean.dupont@example.com").customer.code == "C0001"


def test_case_1_login_with_chosen_password(client, mailbox):
    ask_first_login(client, "Jean.Dupont@Example.com ")
    choose_password(client, mailbox.link())
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    page = client.get("/")
    assert "Connexion au portail" in page.get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "jean.dupont@example.com",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 303


def test_enumeration_known_and_unknown_answer_identically(app, mailbox):
    client = app.test_client()
    answers = []
    for address in ("jean.dupont@example.com", "nobody@example.com"):
        response = ask_first_login(client, address)
        follow = client.get(response.headers["Location"])
        with client.session_transaction() as session:
            contents = dict(session)
        # the footer's CSRF token is signed with the time: mask it, it says nothing about the address
        page = re.sub(rb'name="csrf_token" value="[^"]+"', b"", follow.get_data())
        answers.append(
            (
                response.status_code,
                dict(response.headers.items()).get("Location"),
                response.get_data(),
                follow.status_code,
                page,
                contents,
            )
        )
    assert answers[0] == answers[1]
    assert len(mailbox.messages) == 1  # only the known address got a mail


def test_forgot_password_answers_identically(app, mailbox, auth):
    auth.create_boater()
    answers = []
    for address in ("jean.dupont@example.com", "stranger@example.com"):
        client = app.test_client()
        page = client.get("/password/forgot")
        response = client.post(
            "/password/forgot", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": address}
        )
        answers.append((response.status_code, response.get_data(), response.headers["Location"]))
    assert answers[0] == answers[1]
    assert "nouveau mot de passe" in mailbox.text(mailbox.last())


def test_password_reset_logs_out_other_sessions(app, auth, mailbox):
    auth.boater()
    other = app.test_client()
    ask_first_login(other, "jean.dupont@example.com")  # a known login: a reset link
    assert choose_password(other, mailbox.link(), "another long password").status_code == 303
    # the first session was ended by the reset
    assert "Connexion au portail" in auth.client.get("/").get_data(as_text=True)
    assert auth.login(password="another long password").status_code == 303


@pytest.mark.parametrize("damage", ["reused", "tampered", "expired", "wrong-purpose"])
def test_bad_links_get_a_clear_page_and_change_nothing(client, mailbox, app, damage):
    ask_first_login(client, "jean.dupont@example.com")
    link = mailbox.link()
    path = link.split("127.0.0.1:5000", 1)[-1]
    if damage == "reused":
        choose_password(client, link)
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    elif damage == "tampered":
        path = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    elif damage == "expired":
        token = path.rsplit("/", 1)[1]
        with app.app_context():
            payload = URLSafeTimedSerializer("test-secret", salt="marina-portal/first-login").loads(token)
        signer = URLSafeTimedSerializer("test-secret", salt="marina-portal/first-login")
        signer.signer_kwargs = {}
        real_time = time.time
        time.time = lambda: real_time() - 25 * 3600
        try:
            token = signer.dumps(payload)
        finally:
            time.time = real_time
        path = path.rsplit("/", 1)[0] + "/" + token
    elif damage == "wrong-purpose":
        path = path.replace("/first-login/", "/password-reset/")
    with app.app_context():
        users_before = User.select().count()
        used_before = UsedToken.select().count()
    page = client.get(path)
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    expected = {
        "reused": "déjà été utilisé",
        "tampered": "pas valide",
        "expired": "a expiré",
        "wrong-purpose": "pas valide",
    }[damage]
    assert expected in text
    posted = client.post(
        path,
        data={
            "password": "whatever long one",
            "confirm": "whatever long one",
            "csrf_token": csrf_token(client.get("/").get_data(as_text=True)),
        },
    )
    assert posted.status_code == 410
    with app.app_context():
        assert User.select().count() == users_before
        assert UsedToken.select().count() == used_before


def register(client, **fields):
    page = client.get("/register/contract")
    data = {
        "email": "sophie@example.com",
        "invoice_number": f"{YEAR}/02301",
        "invoice_date": f"10/01/{YEAR}",
        "amount": "2 340,00 €",
    }
    data.update(fields)
    data["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post("/register/contract", data=data)


@pytest.mark.parametrize("amount", ["2340", "2 340,00", "2340.00", "2 340,00 €", "2340,00"])
def test_case_2_amount_formats_all_count(client, mailbox, amount):
    response = register(client, amount=amount)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "sophie@example.com" in mailbox.last()["To"]


def test_case_2_email_attached_only_after_link(client, mailbox, app):
    assert register(client).status_code == 303
    with app.app_context():
        assert Customer.get(Customer.code == "C0002").email is None
        assert not User.select().where(User.email == "sophie@example.com").exists()
    text = mailbox.text(mailbox.last())
    assert "LOGIN : sophie@example.com" in text
    assert choose_password(client, mailbox.link()).status_code == 303
    with app.app_context():
        assert Customer.get(Customer.code == "C0002").email == "sophie@example.com"
        assert User.get(User.email == "sophie@example.com").customer.code == "C0002"
    assert "Bienvenue Sophie MARTIN" in client.get("/").get_data(as_text=True)


GENERIC = "ne correspondent à aucune facture"


@pytest.mark.parametrize(
    "fields",
    [
        {"invoice_number": f"{YEAR}/09999"},
        {"invoice_date": f"11/01/{YEAR}"},
        {"amount": "2 340,01"},
        {"invoice_number": f"{YEAR}/02135", "invoice_date": f"15/01/{YEAR}", "amount": "1520"},  # has a login
    ],
    ids=["number", "date", "amount", "already-registered"],
)
def test_case_2_mismatch_is_generic_and_stores_nothing(client, mailbox, app, auth, fields):
    auth.create_boater("C0001")
    with app.app_context():
        users = User.select().count()
    response = register(client, **fields)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert GENERIC in text
    assert mailbox.messages == []
    with app.app_context():
        assert User.select().count() == users
        assert Customer.get(Customer.code == "C0002").email is None


def test_case_2_invoice_of_last_year_refused(client, mailbox, app):
    from marina_portal.models import Invoice

    with app.app_context():
        Invoice.update(issued_on=dt.date(YEAR - 1, 1, 10)).where(Invoice.number == f"{YEAR}/02301").execute()
    response = register(client, invoice_date=f"10/01/{YEAR - 1}")
    assert GENERIC in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_case_2_bad_date_format_says_so(client, mailbox):
    response = register(client, invoice_date="janvier")
    text = response.get_data(as_text=True)
    assert "JJ/MM/AAAA" in text and GENERIC not in text
    assert mailbox.messages == []


def test_a_mailed_link_is_opaque(client, mailbox):
    """Base64 is not secrecy: the link must not carry the email address nor the customer's id."""
    import base64

    ask_first_login(client, "jean.dupont@example.com")
    token = mailbox.link().rsplit("/", 1)[1]
    head = token.split(".")[0]
    decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode(errors="replace")
    assert "jean" not in decoded.lower() and "@" not in decoded and '"c"' not in decoded
    assert choose_password(client, mailbox.link()).status_code == 303
