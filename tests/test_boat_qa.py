"""Mon bateau et mes papiers, found by QA: English left in French, errors tied to their field."""
import html
import io
import re

from conftest import csrf_token


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def english(client):
    page = client.get("/my-boat/").get_data(as_text=True)
    client.post("/language", data={"csrf_token": csrf_token(page), "language": "en", "next": "/my-boat/"})


def test_the_email_address_label_is_translated(client, auth):
    auth.boater("C0001")
    english(client)
    page = text(client.get("/my-boat/"))
    assert "Adresse mail" not in page and "Email address" in page


def send(client, **fields):
    page = client.get("/my-boat/").get_data(as_text=True)
    return client.post("/my-boat/papers", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(page), **fields})


def test_a_missing_insurance_date_is_said_beside_the_date_field(client, auth):
    auth.boater("C0001")
    response = send(client, kind="insurance", valid_until="", file=(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="valid_until"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    errors = [re.search(rf'<small[^>]*id="{i}"[^>]*>([^<]*)', page) for i in described]
    assert any(e and "date de fin de validité" in html.unescape(e.group(1)) for e in errors)


def test_a_missing_file_is_said_beside_the_file_field(client, auth):
    auth.boater("C0001")
    response = send(client, kind="registration")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="file"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    assert any(re.search(rf'<small[^>]*id="{i}"[^>]*>Choisissez un fichier', page) for i in described)
