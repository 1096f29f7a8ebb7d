"""A boater's papers: insurance and registration checked by content and size, theirs only; staff open them."""

import datetime as dt
import html
import io
import os
import re

import pytest
from conftest import Auth, csrf_token

from marina_portal.core.formats import paris_today
from marina_portal.models import Customer, Document

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + b"\x00" * 64


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def in_days(days):
    return (paris_today() + dt.timedelta(days=days)).isoformat()


def send_paper(client, data, name, kind="insurance", valid_until=None):
    page = client.get("/my-boat/").get_data(as_text=True)
    return client.post(
        "/my-boat/papers",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(page),
            "kind": kind,
            "valid_until": in_days(200) if valid_until is None else valid_until,
            "file": (io.BytesIO(data), name),
        },
    )


def papers_of(app, code="C0001"):
    with app.app_context():
        return list(
            Document.select().where(Document.customer == Customer.get(Customer.code == code).id).order_by(Document.id)
        )


def stored_files(app):
    folder = os.path.join(app.config["DATA_DIR"], "papers")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_upload_an_insurance_certificate_and_download_it(app, client, auth):
    auth.boater("C0001")
    assert "pas encore votre attestation d'assurance" in text(client.get("/my-boat/"))
    response = send_paper(client, PDF, "Attestation MAIF 2026.pdf")
    assert response.status_code == 303
    [paper] = papers_of(app)
    assert (paper.kind, paper.content_type, paper.size) == ("insurance", "application/pdf", len(PDF))
    assert paper.valid_until == paris_today() + dt.timedelta(days=200)
    assert paper.filename == "attestation-d-assurance-dupont-jean.pdf" and paper.uploaded_by.email
    page = text(client.get("/my-boat/"))
    assert "Votre document est enregistré." in page
    assert (
        "Votre assurance est valable jusqu'au " + (paris_today() + dt.timedelta(days=200)).strftime("%d/%m/%Y") in page
    )
    download = client.get(f"/my-boat/papers/{paper.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    # papers are not published in ESPACE DE TELECHARGEMENT
    assert "Attestation d'assurance" not in text(client.get("/documents/"))


@pytest.mark.parametrize(
    "data, name, kind",
    [(PNG, "carte.png", "registration"), (JPEG, "photo.JPG", "registration"), (JPEG, "assurance.jpeg", "insurance")],
)
def test_photos_are_accepted(app, client, auth, data, name, kind):
    auth.boater("C0001")
    assert send_paper(client, data, name, kind).status_code == 303
    [paper] = papers_of(app)
    assert paper.kind == kind and paper.content_type.startswith("image/")
    assert paper.valid_until is None if kind == "registration" else paper.valid_until


@pytest.mark.parametrize(
    "data, name, kind, valid_until, message",
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "assurance.pdf", "insurance", None, "Seuls les fichiers PDF, PNG et JPEG"),
        (b"MZ\x90\x00" + b"\x00" * 200, "setup.exe", "registration", None, "Seuls les fichiers PDF, PNG et JPEG"),
        (b"this is plain text, renamed", "assurance.pdf", "insurance", None, "Seuls les fichiers PDF, PNG et JPEG"),
        (PNG, "assurance.pdf", "insurance", None, "ne correspond pas à son contenu"),
        (PDF + b"x" * 2048, "gros.pdf", "insurance", None, "dépasse la taille autorisée"),
        (b"", "vide.pdf", "insurance", None, "Choisissez un fichier"),
        (PDF, "../../etc/passwd.pdf", "registration", None, "ni chemin"),
        (PDF, "assurance.pdf", "insurance", "", "Indiquez la date de fin de validité"),
        (PDF, "assurance.pdf", "insurance", "2020-01-01", "n'est plus valable"),
        (PDF, "assurance.pdf", "insurance", "2099-01-01", "trop lointaine"),
        (PDF, "assurance.pdf", "insurance", "31/02/2026", "Saisissez une date valide"),
        (PDF, "assurance.pdf", "passport", None, "pas un choix valide"),
    ],
)
def test_refused_papers_store_nothing_and_say_why(make_app, data, name, kind, valid_until, message):
    app = make_app(UPLOAD_MAX_BYTES=1024)
    client = app.test_client()
    Auth(app, client).boater("C0001")
    response = send_paper(client, data, name, kind, valid_until)
    assert response.status_code == 422
    assert message in text(response)
    assert papers_of(app) == [] and stored_files(app) == []


def test_refusals_in_english(app, client, auth):
    auth.boater("C0001")
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/"})
    response = send_paper(client, b"MZ\x90\x00" + b"\x00" * 200, "assurance.pdf")
    assert response.status_code == 422 and "Only PDF, PNG and JPEG files are accepted." in text(response)
    expired = send_paper(client, PDF, "assurance.pdf", valid_until="2020-01-01")
    assert "This certificate is no longer valid" in text(expired)


def test_an_expired_insurance_is_shown_as_such(app, client, auth):
    auth.boater("C0001")
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        Document.create(
            port=customer.port_id,
            customer=customer,
            title="Attestation d'assurance",
            kind="insurance",
            valid_until=paris_today() - dt.timedelta(days=1),
            filename="a.pdf",
            content_type="application/pdf",
            size=1,
            sha256="x",
            stored_as="papers/none.pdf",
        )
    assert "Votre attestation d'assurance a expiré le" in text(client.get("/my-boat/"))


def test_another_boaters_paper_is_not_found(app, auth):
    dupont, martin = app.test_client(), app.test_client()
    Auth(app, dupont).boater("C0001")
    Auth(app, martin).boater("C0002")
    assert send_paper(dupont, PDF, "assurance.pdf").status_code == 303
    [paper] = papers_of(app)
    assert martin.get(f"/my-boat/papers/{paper.id}").status_code == 404
    assert martin.get(f"/documents/{paper.id}/download").status_code == 404
    assert "Attestation" not in text(martin.get("/my-boat/")).split("Mes papiers")[1].split("Envoyer un document")[0]
    assert app.test_client().get(f"/my-boat/papers/{paper.id}").status_code == 302  # anonymous: to the login


def test_a_published_document_is_not_a_paper(app, client, auth):
    auth.boater("C0001")
    with app.app_context():
        tutorial = Document.get(Document.kind == "published")
    assert client.get(f"/my-boat/papers/{tutorial.id}").status_code == 404


def test_staff_open_a_boaters_papers_from_the_customer_page(app, client, auth):
    auth.boater("C0001")
    assert send_paper(client, PDF, "assurance.pdf").status_code == 303
    assert send_paper(client, PNG, "carte.png", kind="registration").status_code == 303
    insurance, registration = papers_of(app)
    staff = app.test_client()
    Auth(app, staff).staff(role="agent")
    page = text(staff.get(f"/staff/customers/{insurance.customer_id}"))
    assert "Papiers du bateau" in page and "Attestation d'assurance" in page
    assert "Acte de francisation ou carte de circulation" in page
    assert f'href="/my-boat/papers/{registration.id}"' in page
    download = staff.get(f"/my-boat/papers/{registration.id}")
    assert download.status_code == 200 and download.data == PNG and download.mimetype == "image/png"
