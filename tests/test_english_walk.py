"""English that is English: a browser asking for en-GB reads the login, CONTRAT and the mandate in English,
with the EPC's wording and English punctuation; the tutorial's own words stay French in French."""

import re

from conftest import PASSWORD, csrf_token
from test_english_pages import visible_text

from marina_portal.core.db import database
from marina_portal.models import Contract, Customer, Mandate, Port, utcnow
from marina_portal.sepa.mandates import legal_text

EN = {"Accept-Language": "en-GB,en;q=0.9"}
FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
# What an English reader met before: French the tutorial does not need them to read.
NOT_ENGLISH = [
    "Annuel contract",
    "Contrat signé le",
    "Date de signature",
    "Paiement à réception de facture",
    "Aide téléphonique",
    "Changer de langue",
]


def words(page):
    """The page's text as read: inline tags (a word in bold, a link) join the text around them."""
    return visible_text(re.sub(r"</?(strong|a|span|em|small|b)\b[^>]*>", "", page))


def english_problems(page, port_name):
    text = words(page)
    found = [word for word in NOT_ENGLISH if word in text]
    found += [f"space before a colon: «{m}»" for m in re.findall(r"\w+ :", text)]
    if legal_text(port_name) in text:
        found.append("the mandate's legal text in French")
    if re.search(r"Mot de passe(?!\))", text):
        found.append("« Mot de passe » without its English")
    return found


def log_in(client, headers):
    token = csrf_token(client.get("/", headers=headers).get_data(as_text=True))
    data = {"csrf_token": token, "email": "jean.dupont@example.com", "password": PASSWORD}
    assert client.post("/login", data=data, headers=headers).status_code == 303


def test_en_gb_reads_english_from_the_first_visit(app, client, auth):
    auth.create_boater("C0001")
    login = client.get("/", headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in login and "Log in to the portal" in login
    assert ">Login<" in login and "Password (Mot de passe)" in login
    assert 'lang="fr">Langue</label>' in login and 'lang="en">Language</label>' in login  # the switch, both ways
    with app.app_context():
        port_name = Port.current().name
        database.close()
    assert english_problems(login, port_name) == []

    log_in(client, EN)
    problems = {}
    for path in ("/", "/contract/", "/mandate/", "/account/", "/my-boat/", "/absences/", "/documents/"):
        problems[path] = english_problems(client.get(path, headers=EN).get_data(as_text=True), port_name)
    page = client.get("/contract/").get_data(as_text=True)
    assert "Annual contract no." in page and "Payment on receipt of the invoice: card online" in page
    mandate = client.get("/mandate/").get_data(as_text=True)
    assert "By signing this mandate form, you authorise (A) PORT SAINTE MARIE LA MER to send instructions" in mandate
    assert "MANDAT DE PRELEVEMENT SEPA" in mandate  # the tutorial's words stay as printed

    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        Contract.update(status="signed", signed_at=utcnow()).where(Contract.customer == customer).execute()
        Mandate.create(customer=customer, rum="RUM-EN", status="active", debtor_name="DUPONT JEAN", signed_at=utcnow())
        database.close()
    for path in ("/contract/", "/mandate/"):
        problems["signed " + path] = english_problems(client.get(path).get_data(as_text=True), port_name)
    assert re.search(
        r"Contract signed on \d\d-\d\d-\d{4} at \d\d:\d\d", client.get("/contract/").get_data(as_text=True)
    )
    assert "Date signed: " in words(client.get("/mandate/").get_data(as_text=True))
    assert {path: found for path, found in problems.items() if found} == {}


def test_french_stays_french(app, client, auth):
    auth.create_boater("C0001")
    login = client.get("/", headers=FR).get_data(as_text=True)
    assert '<html lang="fr">' in login and ">Mot de passe<" in login
    assert '<html lang="fr">' in app.test_client().get("/").get_data(as_text=True)  # no header: French
    log_in(client, FR)
    page = visible_text(client.get("/contract/").get_data(as_text=True))
    assert "Contrat Annuel n°" in page and "Aide téléphonique : " in page
    mandate = client.get("/mandate/").get_data(as_text=True)
    with app.app_context():
        assert legal_text(Port.current().name) in mandate.replace("&#39;", "'")
        database.close()
