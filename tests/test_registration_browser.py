"""The tutorial's INSCRIPTION in a real browser, with JavaScript on and off, following the mailed link."""

from conftest import PASSWORD

from marina_portal.core.formats import paris_today

YEAR = paris_today().year


def choose_password(page, link):
    page.goto(link)
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmer le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer et me connecter").click()


def test_case_1_email_on_file(live_server, page, mailbox):
    page.goto(live_server.url + "/STEMARIE66")
    page.get_by_label("Login").fill("jean.dupont@example.com")
    page.get_by_role("button", name="Recevoir mon lien de première connexion").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
    link = mailbox.link("jean.dupont@example.com")
    assert link.startswith(live_server.url)
    choose_password(page, link)
    page.get_by_role("heading", name="Bienvenue Jean DUPONT").wait_for()
    # and the chosen password works on the next visit
    page.get_by_role("button", name="Déconnexion").click()
    page.get_by_label("Login").fill("jean.dupont@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Bienvenue Jean DUPONT").wait_for()


def test_case_2_contract_proved_by_an_invoice(live_server, page, mailbox):
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Je souhaite m'inscrire").click()
    page.get_by_role("button", name="J'ai un contrat").click()
    page.get_by_label("Adresse mail").fill("sophie.martin@example.com")
    page.get_by_label("Numéro de facture").fill(f"{YEAR}/02301")
    page.get_by_label("Date de facture").fill(f"10/01/{YEAR}")
    page.get_by_label("Montant TTC").fill("2 340,00 €")
    page.get_by_role("button", name="Valider").click()
    page.get_by_role("heading", name="Un mail vous a été envoyé").wait_for()
    choose_password(page, mailbox.link("sophie.martin@example.com"))
    page.get_by_role("heading", name="Bienvenue Sophie MARTIN").wait_for()


def test_case_2_mismatch_in_the_browser(live_server, page, mailbox):
    page.goto(live_server.url + "/register/contract")
    page.get_by_label("Adresse mail").fill("sophie.martin@example.com")
    page.get_by_label("Numéro de facture").fill(f"{YEAR}/02301")
    page.get_by_label("Date de facture").fill(f"10/01/{YEAR}")
    page.get_by_label("Montant TTC").fill("2 000")
    page.get_by_role("button", name="Valider").click()
    page.get_by_text("ne correspondent à aucune facture").wait_for()  # htmx swaps it in: wait, don't peek
    assert mailbox.messages == []
