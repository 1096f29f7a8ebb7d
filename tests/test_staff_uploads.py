"""Publishing in ESPACE DE TELECHARGEMENT: type by content, size limit, no paths; boaters see theirs only."""

import io
import os

import pytest
from conftest import Auth, csrf_token

from marina_portal.models import AuditLog, Document

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64


@pytest.fixture
def staff(auth):
    auth.staff(role="agent")


def upload(client, data, name, title="Règlement de police 2026", category="Règlement", customer_code=""):
    page = client.get("/staff/documents").get_data(as_text=True)
    return client.post(
        "/staff/documents",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(page),
            "title": title,
            "category": category,
            "customer_code": customer_code,
            "file": (io.BytesIO(data), name),
        },
    )


def stored_files(app):
    folder = os.path.join(app.config["DATA_DIR"], "documents")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_publish_a_pdf_for_all_boaters(app, client, staff, auth):
    before = stored_files(app)
    response = upload(client, PDF, "Règlement police (version finale).pdf")
    assert response.status_code == 303
    with app.app_context():
        document = Document.get(Document.title == "Règlement de police 2026")
        assert document.customer_id is None and document.content_type == "application/pdf"
        assert document.filename == "reglement-de-police-2026.pdf"
        assert AuditLog.get(AuditLog.action == "document.publish").object_id == document.id
    assert len(stored_files(app)) == len(before) + 1
    client.get("/staff/documents")
    boater = app.test_client()
    Auth(app, boater).boater("C0002")
    listing = boater.get("/documents/").get_data(as_text=True)
    assert "Règlement de police 2026" in listing
    download = boater.get(f"/documents/{document.id}/download")
    assert download.data == PDF
    assert "filename=reglement-de-police-2026.pdf" in download.headers["Content-Disposition"]


def test_a_document_for_one_customer_is_theirs_only(app, client, staff):
    assert upload(client, PNG, "plan.png", title="Plan de votre poste", customer_code="C0001").status_code == 303
    with app.app_context():
        document = Document.get(Document.title == "Plan de votre poste")
        assert document.customer.code == "C0001" and document.filename.endswith(".png")
    dupont, martin = app.test_client(), app.test_client()
    Auth(app, dupont).boater("C0001")
    Auth(app, martin).boater("C0002")
    assert "Plan de votre poste" in dupont.get("/documents/").get_data(as_text=True)
    assert "Plan de votre poste" not in martin.get("/documents/").get_data(as_text=True)
    assert martin.get(f"/documents/{document.id}/download").status_code == 404


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "facture.pdf", "Seuls les fichiers PDF"),  # a program named .pdf
        (PNG, "tarifs.pdf", "ne correspond pas à son contenu"),  # a picture pretending to be a PDF
        (b"just some text, no magic", "notes.pdf", "Seuls les fichiers PDF"),
        (PDF, "../../etc/passwd.pdf", "ni chemin"),
        (PDF, "..\\..\\boot.pdf", "ni chemin"),
        (PDF + b"x" * 2048, "gros.pdf", "dépasse la taille autorisée"),
        (b"", "vide.pdf", "Choisissez un fichier"),
    ],
)
def test_refused_uploads_store_nothing(make_app, data, name, message):
    app = make_app(UPLOAD_MAX_BYTES=1024)
    client = app.test_client()
    Auth(app, client).staff(role="agent")
    before = stored_files(app)
    with app.app_context():
        count = Document.select().count()
    response = upload(client, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored_files(app) == before
    with app.app_context():
        assert Document.select().count() == count


def test_unknown_customer_code_is_refused(app, client, staff):
    response = upload(client, PDF, "a.pdf", customer_code="C9999")
    assert response.status_code == 422 and "Aucun client n&#39;a le code" in response.get_data(as_text=True)


def test_a_document_for_one_customer_by_email(app, client, staff):
    page = client.get("/staff/documents?customer=jean.dupont@example.com").get_data(as_text=True)
    assert 'value="jean.dupont@example.com"' in page
    response = upload(client, PDF, "a.pdf", title="Facture scannée", customer_code="Jean.Dupont@example.com")
    assert response.status_code == 303
    with app.app_context():
        assert Document.get(Document.title == "Facture scannée").customer.code == "C0001"


def test_withdraw_a_document(app, client, staff, form_post):
    with app.app_context():
        document = Document.get(Document.title == "Tutoriel complet du portail")
    response = form_post("/staff/documents", f"/staff/documents/{document.id}/withdraw")
    assert response.status_code == 303
    with app.app_context():
        assert Document.get_by_id(document.id).kind == "withdrawn"
    assert "Tutoriel complet du portail" not in client.get("/documents/").get_data(as_text=True)


def test_a_withdrawn_document_is_no_longer_downloadable_by_id(app, client, staff):
    assert upload(client, PDF, "tarifs.pdf", title="Tarifs 2025").status_code == 303
    with app.app_context():
        document = Document.get(Document.title == "Tarifs 2025")
    boater = app.test_client()
    Auth(app, boater).boater("C0002")
    assert boater.get(f"/documents/{document.id}/download").status_code == 200
    page = client.get("/staff/documents").get_data(as_text=True)
    client.post(f"/staff/documents/{document.id}/withdraw", data={"csrf_token": csrf_token(page)})
    assert boater.get(f"/documents/{document.id}/download").status_code == 404
    assert client.get(f"/documents/{document.id}/download").status_code == 404
