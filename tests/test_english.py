"""The boater side in English: a language switch remembered per boater; mails in the boater's language."""

from conftest import csrf_token

from marina_portal.models import Customer, User


def switch(client, language, next_path="/"):
    token = csrf_token(client.get(next_path).get_data(as_text=True))
    return client.post("/language", data={"csrf_token": token, "language": language, "next": next_path})


def test_french_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Connexion au portail" in page


def test_switch_to_english_keeps_the_tutorial_words(client):
    response = switch(client, "en", "/register")
    assert response.status_code == 303 and response.headers["Location"] == "/register"
    page = client.get("/register").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "The port asks you:" in page
    assert "J'ai un contrat" in page  # the tutorial's own words stay as printed
    login = client.get("/").get_data(as_text=True)
    assert "Log in to the portal" in login and ">Login<" in login and "Mot de passe" in login


def test_language_is_remembered_for_the_boater_and_their_mails(app, client, auth, mailbox):
    auth.boater()
    switch(client, "en")
    assert "Welcome" in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert User.get(User.email == "jean.dupont@example.com").language == "en"
        assert Customer.get(Customer.code == "C0001").language == "en"
    other = app.test_client()  # a new browser, same boater: English again once logged in
    token = csrf_token(other.get("/").get_data(as_text=True))
    other.post("/password/forgot", data={"csrf_token": token, "email": "jean.dupont@example.com"})
    message = mailbox.last("jean.dupont@example.com")
    assert message["Subject"] == "Choose a new password"
    assert "Open this link" in mailbox.text(message)


def test_unknown_language_is_ignored(client):
    switch(client, "xx")
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)
