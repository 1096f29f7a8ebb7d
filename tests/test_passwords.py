"""A chosen password must be hard to guess: zxcvbn with French common words and the boater's own facts."""

import pytest
from conftest import PASSWORD, csrf_token

from marina_portal.models import User


def first_login_link(client, mailbox, email="jean.dupont@example.com"):
    page = client.get("/")
    client.post("/first-login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email})
    return mailbox.link(email)


def choose(client, link, password):
    page = client.get(link)
    return client.post(
        link, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": password, "confirm": password}
    )


@pytest.mark.parametrize(
    "weak,why",
    [
        ("1234567890", "courant"),
        ("motdepasse", "courant"),
        ("azertyuiop", "courant"),
        ("soleil2026", "courant"),
        ("jean.dupont@example.com", "votre nom, votre adresse mail"),
        ("jeandupont1", "votre nom, votre adresse mail"),
        ("sainte-marie-la-mer", "le nom du port"),
    ],
)
def test_a_weak_password_is_refused_with_what_would_be_better(app, client, mailbox, weak, why):
    response = choose(client, first_login_link(client, mailbox), weak)
    text = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200
    assert "Ce mot de passe est trop facile à deviner" in text and why in text
    assert "Préférez une phrase d'au moins quatre mots" in text
    with app.app_context():
        assert not User.select().where(User.email == "jean.dupont@example.com").exists()


def test_a_strong_password_is_accepted(client, mailbox):
    assert choose(client, first_login_link(client, mailbox), PASSWORD).status_code == 303


def test_changing_to_ones_own_email_is_refused(client, auth, form_post):
    auth.boater()
    response = form_post(
        "/account/password",
        current=PASSWORD,
        password="jean.dupont@example.com",
        confirm="jean.dupont@example.com",
    )
    assert response.status_code == 200
    assert "trop facile à deviner" in response.get_data(as_text=True)


def test_the_staff_command_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(
        args=["staff", "create", "chef@example.com"], input="azertyuiop\nazertyuiop\n"
    )
    assert result.exit_code != 0 and "trop facile à deviner" in result.output
