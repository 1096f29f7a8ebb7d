"""The PDFs a boater downloads: every name prints as typed, fonts embedded, real page numbers, metadata, PDF/A-3b
invoices, and a renderer that reads nothing but the portal's own static files."""

import http.server
import io
import re
import subprocess
import threading

import pikepdf
import pytest
from conftest import csrf_token
from pypdf import PdfReader

from marina_portal.contracts.signing import DECLARATIONS
from marina_portal.core import pdf
from marina_portal.core.db import database
from marina_portal.models import Contract, ContractTerms, Customer, Invoice, Port
from marina_portal.sealing.seals import verify_pdf

NAME = "DVOŘÁK Łukasz"


def extracted(tmp_path, data):
    """The text as two readers see it: poppler's pdftotext and pypdf, spaces collapsed."""
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    poppler = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    python = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return [re.sub(r"\s+", " ", text) for text in (poppler.stdout, python)]


def page_texts(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def rename_boater(app, last="DVOŘÁK", first="Łukasz"):
    with app.app_context():
        Customer.update(last_name=last, first_name=first).where(Customer.code == "C0001").execute()
        database.close()


def ids(app, number_suffix="02135"):
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith(number_suffix)).id
        contract = Contract.select(Contract.id).join(Customer).where(Customer.code == "C0001").scalar()
        database.close()
    return invoice, contract


def sign(client, cid):
    downloaded = client.get(f"/contract/{cid}/pdf").data
    for number in DECLARATIONS:
        token = csrf_token(client.get("/contract/").get_data(as_text=True))
        response = client.post(f"/contract/{cid}/sign/{number}", data={"csrf_token": token, "accept": "oui"})
        assert response.status_code == 303
    return downloaded, client.get(f"/contract/{cid}/signed.pdf").data


def assert_fonts_embedded(data):
    with pikepdf.open(io.BytesIO(data)) as document:
        fonts = [font for page in document.pages for font in page.Resources.Font.values()]
        assert fonts
        for font in fonts:
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descendant.FontDescriptor
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
            assert "DejaVu" in str(font.BaseFont)


def test_a_name_with_czech_and_polish_letters_prints_as_typed_on_the_invoice(app, client, auth, tmp_path):
    rename_boater(app)
    auth.boater()
    invoice, _ = ids(app)
    data = client.get(f"/account/invoices/{invoice}/pdf").data
    for text in extracted(tmp_path, data):
        assert NAME in text and "■" not in text
    assert_fonts_embedded(data)


def test_the_contract_a_boater_signs_keeps_the_name_on_every_copy_and_the_seal_holds(app, client, auth, tmp_path):
    rename_boater(app)
    auth.boater()
    _, cid = ids(app)
    downloaded, signed = sign(client, cid)
    for data in (downloaded, signed):
        for text in extracted(tmp_path, data):
            assert NAME in text
        assert_fonts_embedded(data)
    with app.app_context():
        check = verify_pdf(signed)
    assert check.intact and check.trusted


def test_page_numbers_run_across_the_whole_signed_contract(app, client, auth):
    auth.boater()
    _, cid = ids(app)
    downloaded, signed = sign(client, cid)
    assert [re.findall(r"page \d+ / \d+", text) for text in page_texts(downloaded)] == [["page 1 / 1"]]
    pages = page_texts(signed)
    assert len(pages) == 2
    assert [re.findall(r"page \d+ / \d+", text) for text in pages] == [["page 1 / 2"], ["page 2 / 2"]]
    assert "PAGE DE SIGNATURE" in pages[1] and "PAGE DE SIGNATURE" not in pages[0]


def test_a_contract_longer_than_a_page_is_numbered_page_by_page(app, client, auth):
    with app.app_context():
        terms = ContractTerms.get()
        terms.body = "\n".join(f"Article {n} – " + "Le titulaire respecte le règlement. " * 12 for n in range(1, 40))
        terms.save()
        database.close()
    auth.boater()
    _, cid = ids(app)
    pages = page_texts(client.get(f"/contract/{cid}/pdf").data)
    total = len(pages)
    assert total >= 3
    expected = [[f"page {n} / {total}"] for n in range(1, total + 1)]
    assert [re.findall(r"page \d+ / \d+", text) for text in pages] == expected


def test_the_signature_page_shows_no_internal_ids(app, client, auth):
    user = auth.boater()
    _, cid = ids(app)
    _, signed = sign(client, cid)
    page = re.sub(r"\s+", " ", page_texts(signed)[-1])
    assert "jean.dupont@example.com" in page and "identifiant" not in page
    assert f"({user.id})" not in page


def metadata(data):
    with pikepdf.open(io.BytesIO(data)) as document:
        info = {str(key): str(value) for key, value in document.docinfo.items()}
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            xmp_values = {key: str(value) for key, value in xmp.items()}
    return info, xmp_values


def test_every_pdf_names_its_title_author_and_creation_date(app, client, auth):
    auth.boater()
    invoice, cid = ids(app)
    with app.app_context():
        port = Port.get().name
        number = Invoice.get_by_id(invoice).number
        issued = Invoice.get_by_id(invoice).issued_on
        database.close()
    contract_pdf, signed = sign(client, cid)
    invoice_pdf = client.get(f"/account/invoices/{invoice}/pdf").data
    for data, title in (
        (invoice_pdf, f"Facture {number}"),
        (contract_pdf, "Contrat Annuel N° "),
        (signed, "Contrat Annuel N° "),
    ):
        info, _ = metadata(data)
        assert info["/Title"].startswith(title) and info["/Author"] == port, info
        created = info["/CreationDate"]
        assert re.fullmatch(r"D:\d{8}.*", created) and not created.startswith("D:2000"), created
    assert metadata(signed)[0]["/Title"].endswith("signé")
    assert metadata(invoice_pdf)[0]["/CreationDate"] >= f"D:{issued:%Y%m%d}"


def test_an_invoice_is_an_archivable_pdf_a_3b(app, client, auth):
    auth.boater()
    invoice, _ = ids(app)
    data = client.get(f"/account/invoices/{invoice}/pdf").data
    with pikepdf.open(io.BytesIO(data)) as document:
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            assert (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) == ("3", "B")
        intents = document.Root.OutputIntents
        assert str(intents[0].S) == "/GTS_PDFA1" and "/DestOutputProfile" in intents[0]
        assert "/ID" in document.trailer
    assert_fonts_embedded(data)


def test_the_same_contract_facts_give_the_same_bytes_and_the_pdf_a_keeps_the_cache(
    app, client, auth, pdf_rendered_every_time
):
    auth.boater()
    invoice, cid = ids(app)
    assert client.get(f"/contract/{cid}/pdf").data == client.get(f"/contract/{cid}/pdf").data
    first = client.get(f"/account/invoices/{invoice}/pdf").data
    assert client.get(f"/account/invoices/{invoice}/pdf").data == first


@pytest.fixture
def web_server():
    """A web server on this machine that counts the requests it gets: a PDF must make none."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_the_renderer_reads_the_portals_static_files_and_nothing_else(app, web_server, tmp_path):
    url, hits = web_server
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    html = (
        f'<html><head><link rel="stylesheet" href="{url}/style.css">'
        f'<link rel="stylesheet" href="file://{secret}">'
        '<link rel="stylesheet" href="/static/../../../../etc/passwd">'
        f'<link rel="stylesheet" href="/static/css/app.css"></head>'
        f'<body><img src="{url}/logo.png"><img src="file:///etc/hostname"><p>Bonjour</p></body></html>'
    )
    with app.test_request_context():
        fetcher = pdf._fetcher_class()(app.static_folder)
        assert fetcher.fetch(pdf.BASE_URL + "static/css/app.css").read().strip()
        for refused in (
            f"{url}/style.css",
            f"file://{secret}",
            pdf.BASE_URL + "static/../../config.py",
            pdf.BASE_URL + "elsewhere.css",
            "data:text/css,body{}",
        ):
            with pytest.raises(ValueError):
                fetcher.fetch(refused)
        data = pdf.html_to_pdf(html, "probe")
    assert hits == []
    assert "Bonjour" in page_texts(data)[0]
