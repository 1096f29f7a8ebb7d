"""The boater's phone in Chromium at 375 × 812, JavaScript on and off: every refused form opens at its first
error (focused, inside the screen, announced); no page scrolls sideways; no tap target is under 24 × 24 px."""

import datetime as dt
import os
import re

import pytest
import test_accessibility as accessibility
from conftest import PASSWORD, Auth, browser_missing
from phone import HEIGHT, fits_the_phone, focus, log_in, title_bottom

from marina_portal.boats import changes, papers
from marina_portal.contracts.signing import DECLARATIONS
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.energy import readings
from marina_portal.models import Boat, Consumption, Contract, Customer, Invoice, Mandate, Meter, Port, User, utcnow
from marina_portal.port_life import absences

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

TODAY = paris_today()
YEAR = TODAY.year


@pytest.fixture
def jean(live_server):
    """JEAN DUPONT with a login; his contract runs long enough for an absence to be declared."""
    app = live_server.app
    Auth(app, app.test_client()).create_boater("C0001")
    with app.app_context():
        Contract.update(ends_on=TODAY + dt.timedelta(days=400)).where(Contract.number.endswith("0042")).execute()
        ids = {
            "contract": Contract.get(Contract.number.endswith("0042")).id,
            "boat": Boat.get(Boat.code == "B0001").id,
            "invoice": Invoice.get(Invoice.number.endswith("02135")).id,
        }
        database.close()
    return ids


@pytest.fixture
def busy_jean(live_server, jean):
    """JEAN DUPONT with something on every page: a paper, a boat change waiting, an absence let to a visitor."""
    app = live_server.app
    with app.test_request_context():
        user = User.get(User.email == "jean.dupont@example.com")
        customer = Customer.get(Customer.code == "C0001")
        papers.add(user, customer, "insurance", PDF, "attestation.pdf", TODAY + dt.timedelta(days=200))
        boat = Boat.get_by_id(jean["boat"])
        facts = {name: getattr(boat, name) for name in changes.BOAT_FACTS}
        changes.propose(user, boat, dict(facts, name="BELLE ÉTOILE II", length_cm=990))
        Port.update(absence_credit_value=50).execute()
        start = TODAY + dt.timedelta(days=10)
        absence = absences.declare(customer, jean["contract"], start, start + dt.timedelta(days=14), "Tour de Corse")
        absences.record_letting(absence.id, start, start + dt.timedelta(days=3), 12000, None)
        jean["absence"] = absence.id
        database.close()
    jean["consumption"] = jean_consumption(app)
    return jean


def jean_consumption(app):
    """Two readings of JEAN's electricity meter: one consumption line, the one « Contester » opens."""
    with app.app_context():
        meter = Meter.get(Meter.number == "E-B12")
        now = readings.utcnow().replace(microsecond=0)
        readings.record(None, meter, now - dt.timedelta(days=40), 100_000)
        readings.record(None, meter, now - dt.timedelta(days=10), 252_400)
        line = Consumption.select().where(Consumption.meter == meter).order_by(Consumption.id.desc()).get()
        database.close()
    return line.id


def boater_pages(ids):
    return [
        "/",
        "/contract/",
        f"/contract/{ids['contract']}/sign",
        "/account/",
        f"/payment/invoices/{ids['invoice']}",
        "/documents/",
        "/mandate/",
        "/my-boat/",
        "/my-boat/contact",
        f"/my-boat/boats/{ids['boat']}/change",
        "/absences/",
        "/absences/new",
        f"/absences/{ids['absence']}/edit",
        f"/absences/{ids['absence']}/cancel",
        "/waiting-list/",
        "/account/password",
        "/consommation/",
        f"/consommation/{ids['consumption']}/contester",
        "/account/receipts/",
        "/tarifs/",
    ]


VISITOR_PAGES = [
    "/",
    "/register",
    "/register/contract",
    "/waiting-list/apply",
    "/password/forgot",
    "/link-sent",
    "/register/sent",
    "/waiting-list/sent",
    "/tarifs/",
    "/escale/B-12",  # the demo's berth whose QR code a visitor scans
]


def test_no_page_is_wider_than_the_phone_nor_has_a_small_tap_target(live_server, page, busy_jean):
    problems = {}
    for path in VISITOR_PAGES:
        assert page.goto(live_server.url + path).ok, path
        problems[path] = fits_the_phone(page)
    log_in(page, live_server.url)
    for path in boater_pages(busy_jean):
        assert page.goto(live_server.url + path).ok, path
        problems["boater " + path] = fits_the_phone(page)
        if title_bottom(page) > HEIGHT // 4:  # header, menus and logout leave the title in the first quarter
            problems["boater " + path].append(f"title ends at {title_bottom(page)} px")
    bad = {path: found for path, found in problems.items() if found}
    assert bad == {}, "\n".join(f"{path}: {found}" for path, found in bad.items())


def refused(page, expected_focus, expected_text):
    """After a refused form: the focus is on `expected_focus` (an id), it and its message are on screen."""
    page.get_by_text(expected_text).first.wait_for()
    found = focus(page)
    assert found["focused"] == expected_focus, found
    assert expected_text in found["text"], found
    assert found["inside"] and found["alert"], found
    assert fits_the_phone(page) == []


def test_a_visitors_refused_forms_open_at_their_first_error(live_server, page):
    base = live_server.url
    page.goto(base + "/")
    page.get_by_label("Login").fill("jean.dupont@example.com")
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    refused(page, "password", "Login ou mot de passe incorrect.")

    page.get_by_label("Login").fill("jean.dupont@")
    page.get_by_role("button", name="Recevoir mon lien de première connexion").click()
    refused(page, "email", "adresse mail valide")

    page.goto(base + "/password/forgot")
    page.get_by_role("button", name="Recevoir un lien").click()
    refused(page, "email", "Ce champ est obligatoire.")

    page.goto(base + "/register/contract")
    page.get_by_label("Adresse mail").fill("sophie.martin@example.com")
    page.get_by_label("Numéro de facture").fill(f"{YEAR}/02301")
    page.get_by_label("Date de facture").fill("le dix janvier")
    page.get_by_label("Montant TTC").fill("2 340,00")
    page.get_by_role("button", name="Valider").click()
    refused(page, "invoice_date", "JJ/MM/AAAA")
    page.get_by_label("Date de facture").fill(f"10/01/{YEAR}")
    page.get_by_label("Montant TTC").fill("2 000,00")
    page.get_by_role("button", name="Valider").click()
    refused(page, "flash flash-error", "ne correspondent à aucune facture")

    page.goto(base + "/waiting-list/apply")
    page.get_by_label("Nom", exact=True).fill("Marin")
    page.get_by_label("Prénom").fill("Paul")
    page.get_by_label("Adresse mail").fill("paul.marin@example.com")
    page.get_by_label("Nom du bateau").fill("ALBATROS")
    page.get_by_label("Longueur (m)").fill("huit")
    page.get_by_label("Largeur (m)").fill("2,90")
    page.get_by_label("Tirant d'eau (m)").fill("1,40")
    page.get_by_role("button", name="Envoyer ma demande").click()
    refused(page, "length", "en mètres")

    page.goto(base + "/escale/B-12")
    page.get_by_label("Nom du bateau").fill("Alizé")
    page.get_by_label("Longueur du bateau (m)").fill("neuf")
    page.get_by_role("button", name="Voir le prix").click()
    refused(page, "length", "en mètres")


def test_a_boaters_refused_forms_open_at_their_first_error(live_server, page, jean, tmp_path):
    base = live_server.url
    log_in(page, base)

    page.goto(base + "/mandate/")
    page.get_by_label("IBAN").fill("FR7634303100000001000100")  # the tutorial's sample, three characters short
    page.get_by_role("button", name="Enregistrer et vérifier mon RIB").click()
    refused(page, "iban", "La longueur de l'IBAN est incorrecte")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_role("button", name="Enregistrer et vérifier mon RIB").click()
    page.get_by_role("button", name="Signer le mandat").click()
    refused(page, "accept", "Cochez la case")
    page.get_by_label("J'ai vérifié les informations").check()
    page.get_by_role("button", name="Signer le mandat").click()
    page.get_by_text("Changer de compte bancaire").click()
    page.locator("#account-iban").fill("FR76 3000 6000 0198 7654 3210 173")
    page.get_by_role("button", name="Enregistrer le nouveau compte").click()  # the box left unticked
    refused(page, "account-accept", "Cochez la case pour confirmer le changement de compte.")

    consumption = jean_consumption(live_server.app)
    page.goto(base + f"/consommation/{consumption}/contester")
    page.get_by_role("button", name="Contester").click()  # no reason given
    refused(page, "reason", "Ce champ est obligatoire.")

    page.goto(base + "/my-boat/contact")
    page.get_by_label("Téléphone").fill("appelez-moi")
    page.get_by_role("button", name="Enregistrer mes coordonnées").click()
    refused(page, "phone", "numéro de téléphone")

    page.goto(base + f"/my-boat/boats/{jean['boat']}/change")
    page.get_by_label("Tirant d'eau (m)").fill("profond")
    page.get_by_role("button", name="Envoyer ma demande").click()
    refused(page, "draught", "en mètres")

    wrong = tmp_path / "notes.pdf"
    wrong.write_text("not a pdf at all")
    page.goto(base + "/my-boat/")
    page.get_by_role("button", name="Envoyer le document").click()
    refused(page, "valid_until", "Indiquez la date de fin de validité")
    page.get_by_label("Valable jusqu'au (assurance)").fill((TODAY + dt.timedelta(days=180)).isoformat())
    page.get_by_label("Fichier (PDF, ou photo JPEG ou PNG)").set_input_files(str(wrong))
    page.get_by_role("button", name="Envoyer le document").click()
    refused(page, "file", "Seuls les fichiers PDF, PNG et JPEG sont acceptés.")

    page.goto(base + "/absences/new")
    page.get_by_label("Date de départ").fill((TODAY + dt.timedelta(days=4)).isoformat())
    page.get_by_label("Date de retour").fill((TODAY + dt.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Déclarer l'absence").click()
    refused(page, "flash flash-error", "La date de retour doit être après la date de départ")

    page.goto(base + "/account/password")
    page.get_by_label("Mot de passe actuel").fill("not the password")
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD + "!")
    page.get_by_label("Confirmer le mot de passe").fill(PASSWORD + "!")
    page.get_by_role("button", name="Changer le mot de passe").click()
    refused(page, "current", "n'est pas le bon")

    page.goto(base + f"/contract/{jean['contract']}/sign")
    with page.expect_download():
        page.get_by_role("link", name="PDF du contrat à signer").click()
    if not page.js_enabled:  # with JavaScript the panel reloads itself after the download
        page.get_by_role("button", name="J'ai téléchargé le PDF").click()
    page.get_by_role("button", name="Accepter").click()  # the box left unticked
    refused(page, "flash flash-error", "Cochez la case de l'ETAPE 1/3")


def test_each_act_asks_are_you_sure_on_a_page_of_its_own(live_server, page, busy_jean):
    app = live_server.app
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        Mandate.create(
            customer=customer,
            rum="STEMARIE66-000001-ABCDEFGHJK",
            status="active",
            debtor_name="DUPONT JEAN",
            street=customer.street,
            postcode=customer.postcode,
            town=customer.town,
            iban="FR7630006000011234567890189",
            bic="AGRIFRPPXXX",
            signed_at=utcnow(),
        )
        database.close()
    with app.test_request_context():
        start = TODAY + dt.timedelta(days=60)
        absences.declare(
            Customer.get(Customer.code == "C0001"), busy_jean["contract"], start, start + dt.timedelta(days=3)
        )
        database.close()
    base = live_server.url
    log_in(page, base)
    acts = [
        ("/mandate/", "Révoquer le mandat", "Oui, révoquer le mandat", "Mandat révoqué"),
        ("/my-boat/", "Retirer ma demande", "Oui, retirer ma demande", "Votre demande de modification est retirée."),
        ("/my-boat/", re.compile("^Retirer Attestation"), "Oui, retirer le document", "Le document est retiré."),
        (
            "/absences/",
            f"Annuler l'absence du {start:%d/%m/%Y}",
            "Oui, annuler l'absence",
            "Votre absence est annulée.",
        ),
    ]
    for path, button, yes, done in acts:
        page.goto(base + path)
        page.get_by_role("button", name=button).first.click()
        page.get_by_role("heading", name="Êtes-vous sûr ?").wait_for()
        assert fits_the_phone(page) == []
        page.get_by_role("button", name="Non, revenir").click()  # nothing done
        assert page.url.split("#")[0] == base + path
        page.get_by_role("button", name=button).first.click()
        page.get_by_role("button", name=yes).click()
        page.get_by_text(done).first.wait_for()
    with app.app_context():
        assert Mandate.get(Mandate.rum == "STEMARIE66-000001-ABCDEFGHJK").status == "revoked"
        database.close()

    page.get_by_role("button", name="Déconnexion").click()
    page.get_by_text("Vous êtes déconnecté.").wait_for()
    assert page.get_by_role("button", name="Se connecter").is_visible()


def test_signing_says_why_nothing_opens_and_that_the_seal_is_being_made(live_server, page, jean):
    base = live_server.url
    log_in(page, base)
    page.goto(base + f"/contract/{jean['contract']}/sign")
    page.get_by_role("button", name="J'ai téléchargé le PDF").click()  # but nothing was downloaded
    refused(page, "flash flash-error", "Aucun téléchargement du contrat n'est enregistré")
    with page.expect_download():
        page.get_by_role("link", name="PDF du contrat à signer").click()
    if not page.js_enabled:
        page.get_by_role("button", name="J'ai téléchargé le PDF").click()
    for number in (1, 2):
        page.get_by_label(DECLARATIONS[number]).check()
        page.get_by_role("button", name="Accepter").click()
        page.get_by_text("Acceptée le").nth(number - 1).wait_for()
    page.get_by_label(DECLARATIONS[3]).check()
    if page.js_enabled:  # the last step's request is held back: the seal "is being made" meanwhile
        held = []
        page.route("**/sign/3", lambda route: held.append(route))
        page.get_by_role("button", name="Accepter").click()
        page.get_by_text("Signature en cours…").wait_for()
        while not held:  # the held request reaches this thread while it waits on the browser
            page.wait_for_timeout(50)
        held[0].continue_()
    else:
        page.get_by_role("button", name="Accepter").click()
    page.get_by_text("Contrat signé le").wait_for()


AXE = os.environ.get("MARINA_AXE_JS") or accessibility.AXE  # where node_modules keeps axe-core, unless told


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_axe_finds_nothing_serious_on_the_phone(live_server, browser, busy_jean, locale):
    if not os.path.exists(AXE):  # a browser piece: it fails the test unless MARINA_SKIP_BROWSER=1 says skip
        browser_missing(f"axe-core is not at {AXE} (npm ci, run by make install-dev, fetches it)")
    context = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 812}, locale=locale)
    page = context.new_page()
    page.js_enabled = True
    with open(AXE) as f:
        axe = f.read()
    found = {}

    def audit(path):
        assert page.goto(live_server.url + path).ok, path
        page.evaluate(axe)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [
            (v["id"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            found[path] = bad

    for path in VISITOR_PAGES:
        audit(path)
    log_in(page, live_server.url, heading=None)
    for path in boater_pages(busy_jean):
        audit(path)
    context.close()
    assert found == {}
