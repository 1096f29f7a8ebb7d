"""Port life in a real browser, JavaScript on and off: declare an absence; apply to the waiting list."""

import datetime as dt

from conftest import PASSWORD, Auth

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Contract

TODAY = paris_today()


def log_in(page, url, email):
    page.goto(url + "/")
    page.get_by_label("Login").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_declare_an_absence(live_server, page, mailbox):
    app = live_server.app
    Auth(app, app.test_client()).create_boater("C0001")
    with app.app_context():
        Contract.update(ends_on=TODAY + dt.timedelta(days=400)).execute()
        database.close()
    log_in(page, live_server.url, "jean.dupont@example.com")
    page.get_by_role("link", name="Déclarer une absence").click()
    page.get_by_role("heading", name="Mes absences").wait_for()
    page.get_by_role("button", name="Déclarer une absence").click()
    start, end = TODAY + dt.timedelta(days=4), TODAY + dt.timedelta(days=2)
    page.get_by_label("Date de départ").fill(start.isoformat())
    page.get_by_label("Date de retour").fill(end.isoformat())
    page.get_by_role("button", name="Déclarer l'absence").click()
    page.get_by_text("La date de retour doit être après la date de départ").wait_for()
    page.get_by_label("Date de retour").fill((start + dt.timedelta(days=7)).isoformat())
    page.get_by_label("Commentaire (facultatif)").fill("Tour de Corse")
    page.get_by_role("button", name="Déclarer l'absence").click()
    page.get_by_text("Votre absence est enregistrée.").wait_for()
    assert page.get_by_text("Tour de Corse").is_visible()
    period = f"du {start.strftime('%d/%m/%Y')} au {(start + dt.timedelta(days=7)).strftime('%d/%m/%Y')}"
    assert page.get_by_text(period).is_visible()
    assert page.get_by_role("button", name="Annuler").is_visible()
    assert mailbox.last("jean.dupont@example.com")["Subject"] == "Votre absence est enregistrée"


def test_apply_to_the_waiting_list(live_server, page, mailbox):
    page.goto(live_server.url + "/STEMARIE66")
    page.get_by_role("button", name="Je souhaite m'inscrire").click()
    page.get_by_role("button", name="Je n'ai pas de contrat").click()
    page.get_by_label("Nom", exact=True).fill("Marin")
    page.get_by_label("Prénom").fill("Paul")
    page.get_by_label("Adresse mail").fill("paul.marin@example.com")
    page.get_by_label("Nom du bateau").fill("ALBATROS")
    page.get_by_label("Type de bateau").select_option("Voilier")
    page.get_by_label("Longueur (m)").fill("8,50")
    page.get_by_label("Largeur (m)").fill("2,90")
    page.get_by_label("Tirant d'eau (m)").fill("1,40")
    page.get_by_label("Place souhaitée à partir du").fill((TODAY + dt.timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.get_by_role("heading", name="Confirmez votre adresse mail").wait_for()
    link = mailbox.link("paul.marin@example.com")
    assert link.startswith(live_server.url)
    page.goto(link)
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmer le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Confirmer et me connecter").click()
    page.get_by_text("Votre rang sur la liste d'attente : 1 sur 1").wait_for()
    assert page.get_by_text(TODAY.strftime("%d/%m/%Y")).first.is_visible()
    # the next visit: the home page leads to the rank
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Liste d'attente").click()
    page.get_by_text("Votre rang sur la liste d'attente : 1 sur 1").wait_for()
