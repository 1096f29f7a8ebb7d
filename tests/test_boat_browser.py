"""Mon bateau et mes papiers in a real browser, JavaScript on and off: send an insurance certificate."""

import datetime as dt

from conftest import PASSWORD, Auth

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Document

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_send_an_insurance_certificate(live_server, page, tmp_path):
    app = live_server.app
    Auth(app, app.test_client()).create_boater("C0001")
    certificate, wrong = tmp_path / "attestation.pdf", tmp_path / "notes.pdf"
    certificate.write_bytes(PDF)
    wrong.write_text("not a pdf at all")
    valid_until = paris_today() + dt.timedelta(days=180)

    page.goto(live_server.url + "/")
    page.get_by_label("Login").fill("jean.dupont@example.com")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Mon bateau et mes papiers").click()
    page.get_by_role("heading", name="Mon bateau et mes papiers").wait_for()
    assert page.get_by_text("pas encore votre attestation d'assurance").is_visible()

    page.get_by_label("Document", exact=True).select_option("insurance")
    page.get_by_label("Valable jusqu'au (assurance)").fill(valid_until.isoformat())
    page.get_by_label("Fichier (PDF, ou photo JPEG ou PNG)").set_input_files(str(wrong))
    page.get_by_role("button", name="Envoyer le document").click()
    page.get_by_text("Seuls les fichiers PDF, PNG et JPEG sont acceptés.").wait_for()

    page.get_by_label("Valable jusqu'au (assurance)").fill(valid_until.isoformat())
    page.get_by_label("Fichier (PDF, ou photo JPEG ou PNG)").set_input_files(str(certificate))
    page.get_by_role("button", name="Envoyer le document").click()
    page.get_by_text("Votre document est enregistré.").wait_for()
    assert page.get_by_text(f"Votre assurance est valable jusqu'au {valid_until.strftime('%d/%m/%Y')}.").is_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger").first.click()
    assert open(download.value.path(), "rb").read() == PDF
    with app.app_context():
        assert Document.get(Document.kind == "insurance").valid_until == valid_until
        database.close()
