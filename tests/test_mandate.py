"""Paiement par prélèvement: JEAN DUPONT fills, checks, signs, downloads and revokes his SEPA mandate."""

import io
import re

import pytest
from conftest import Auth
from pypdf import PdfReader

from marina_portal.core.db import database
from marina_portal.models import Mandate, SignatureEvidence
from marina_portal.sealing.seals import verify_pdf

GOOD_IBAN = "FR76 3000 6000 0112 3456 7890 189"
DETAILS = {
    "debtor_name": "DUPONT JEAN",
    "street": "10, RUE DU MARCHÉ",
    "postcode": "11000",
    "town": "CARCASSONNE",
    "country": "FR",
}


def mandate_rows(app):
    with app.app_context():
        rows = list(Mandate.select().order_by(Mandate.id))
        database.close()
    return rows


def save(form_post, iban, bic=""):
    return form_post("/mandate/", iban=iban, bic=bic, **DETAILS)


def test_page_shows_the_tutorials_mandate_prefilled_from_the_customer(client, auth):
    auth.boater("C0001")
    html = client.get("/mandate/").get_data(as_text=True)
    assert "MANDAT DE PRELEVEMENT SEPA" in html
    assert "REFERENCE UNIQUE DU MANDAT (RUM)" in html
    assert "POUR UN PRELEVEMENT RECURRENT" in html
    assert "PORT SAINTE MARIE LA MER" in html and "FR72ZZZ123456" in html
    assert 'value="DUPONT JEAN"' in html and 'value="10, RUE DU MARCHÉ"' in html
    assert 'value="11000"' in html and 'value="CARCASSONNE"' in html
    assert "8 semaines" in html and "13 mois" in html
    assert "Paiement par prélèvement" in client.get("/").get_data(as_text=True)


def test_rum_is_stable_and_within_the_sepa_rules(app, client, auth):
    auth.boater("C0001")
    first = re.search(r'id="rum">([^<]+)<', client.get("/mandate/").get_data(as_text=True)).group(1)
    again = re.search(r'id="rum">([^<]+)<', client.get("/mandate/").get_data(as_text=True)).group(1)
    assert first == again
    assert len(first) <= 35 and re.fullmatch(r"[A-Za-z0-9/\-?:().,'+ ]+", first)
    assert len(mandate_rows(app)) == 1


@pytest.mark.parametrize(
    "iban, bic, message",
    [
        ("FR7634303100000001000100", "", "La longueur de l'IBAN est incorrecte : 24 caractères au lieu de 27"),
        ("FR7630006000011234567890180", "", "chiffres de contrôle de l'IBAN ne correspondent pas"),
        ("FR76300060000112345678901", "", "longueur de l'IBAN est incorrecte : 25 caractères"),
        ("XX7630006000011234567890189", "", "Le code pays « XX »"),
        ("US7630006000011234567890189", "", "Le code pays « US »"),
        ("fr76 3000 6000 0112 3456 7890 180", "", "chiffres de contrôle de l'IBAN ne correspondent pas"),
        ("FR76 3000-6000", "", "que des lettres et des chiffres"),
        (GOOD_IBAN, "AGRIFRP", "Un BIC compte 8 ou 11 caractères, pas 7"),
        (GOOD_IBAN, "CEPAFRPP", "Ce BIC n'est pas celui de la banque de cet IBAN (BIC attendu : AGRIFRPPXXX)"),
        (GOOD_IBAN, "AGRIXXPP", "Le code pays « XX » du BIC"),
        (GOOD_IBAN, "DEUTDEFF", "banque du pays DE"),
    ],
)
def test_bad_bank_details_are_refused_with_a_message_and_nothing_saved(
    app, client, auth, form_post, iban, bic, message
):
    auth.boater("C0001")
    response = save(form_post, iban, bic)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.replace("&#39;", "'")
    assert 'value="DUPONT JEAN"' in html  # what was typed is kept
    assert [m.iban for m in mandate_rows(app)] == [""]


def test_lower_case_with_spaces_is_normalised_and_the_bic_derived(app, client, auth, form_post):
    auth.boater("C0001")
    response = save(form_post, " fr76 3000 6000 0112 3456 7890 189 ")
    assert response.status_code == 303
    assert "Vos coordonnées bancaires sont enregistrées" in client.get("/mandate/").get_data(as_text=True)
    (mandate,) = mandate_rows(app)
    assert mandate.iban == "FR7630006000011234567890189"
    assert mandate.bic == "AGRIFRPPXXX"
    html = client.get("/mandate/").get_data(as_text=True)
    assert "FR76 ••••" in html and "0189" in html.split('id="iban">')[1][:60]
    assert "3000 6000 0112" not in html and "FR7630006000011234567890189" not in html


def test_lower_case_bic_is_accepted(app, client, auth, form_post):
    auth.boater("C0001")
    assert save(form_post, GOOD_IBAN, "agri fr pp").status_code == 303
    assert mandate_rows(app)[0].bic == "AGRIFRPPXXX"


def test_signing_records_evidence_and_a_sealed_pdf_then_revoking_gives_a_new_rum(app, client, auth, form_post):
    auth.boater("C0001")
    save(form_post, GOOD_IBAN)
    (draft,) = mandate_rows(app)
    refused = form_post("/mandate/", f"/mandate/{draft.id}/sign")
    assert refused.status_code == 422 and "Cochez la case" in refused.get_data(as_text=True)
    assert form_post("/mandate/", f"/mandate/{draft.id}/sign", accept="y").status_code == 303
    html = client.get("/mandate/").get_data(as_text=True)
    assert "Date de signature" in html and "Mandat signé et actif" in html
    (mandate,) = mandate_rows(app)
    assert mandate.status == "active" and mandate.rum == draft.rum
    with app.app_context():
        (step,) = SignatureEvidence.select().where(
            (SignatureEvidence.subject_type == "mandate") & (SignatureEvidence.subject_id == mandate.id)
        )
        assert len(step.document_sha256) == 64 and step.ip == "127.0.0.1"
        assert draft.rum in step.declaration and "FR76 3000 6000 0112 3456 7890 189" in step.declaration
        assert "8 semaines" in step.declaration
        database.close()
    pdf = client.get(f"/mandate/{mandate.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with app.app_context():
        check = verify_pdf(pdf.data)
    assert check.intact and check.trusted
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "11000 CARCASSONNE\nPays : FR" in text and "CARCASSONNE FR" not in text  # the country on its own line

    assert form_post("/mandate/", f"/mandate/{mandate.id}/revoke").status_code == 303
    html = client.get("/mandate/").get_data(as_text=True)
    old, new = mandate_rows(app)
    assert old.status == "revoked" and new.status == "draft" and new.rum != old.rum
    assert new.rum in html and "Mandats précédents" in html


def test_another_boaters_mandate_is_not_found(app, client, auth, form_post):
    auth.boater("C0001")
    save(form_post, GOOD_IBAN)
    (mine,) = mandate_rows(app)
    form_post("/mandate/", f"/mandate/{mine.id}/sign", accept="y")
    client.post(
        "/logout",
        data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True)).group(
                1
            )
        },
    )
    auth.boater("C0002")
    client.get("/mandate/")
    assert client.get(f"/mandate/{mine.id}/pdf").status_code == 404
    assert form_post("/mandate/", f"/mandate/{mine.id}/sign", accept="y").status_code == 404
    assert form_post("/mandate/", f"/mandate/{mine.id}/revoke").status_code == 404
    assert mandate_rows(app)[0].status == "active"


def test_staff_may_download_a_signed_mandate(app, client, auth, form_post):
    auth.boater("C0001")
    save(form_post, GOOD_IBAN)
    (mine,) = mandate_rows(app)
    form_post("/mandate/", f"/mandate/{mine.id}/sign", accept="y")
    staff_client = app.test_client()
    Auth(app, staff_client).staff()
    assert staff_client.get(f"/mandate/{mine.id}/pdf").status_code == 200
    assert staff_client.get("/mandate/").status_code == 403  # staff have no mandate of their own


def test_a_signed_mandate_cannot_be_changed_or_signed_again(app, client, auth, form_post):
    auth.boater("C0001")
    save(form_post, GOOD_IBAN)
    (mine,) = mandate_rows(app)
    form_post("/mandate/", f"/mandate/{mine.id}/sign", accept="y")
    assert save(form_post, "DE89370400440532013000", "COBADEFFXXX").status_code == 303
    form_post("/mandate/", f"/mandate/{mine.id}/sign", accept="y")
    (after,) = mandate_rows(app)
    assert after.iban == "FR7630006000011234567890189"
    assert after.status == "active"
    with app.app_context():
        assert SignatureEvidence.select().count() == 1
        database.close()


def test_a_draft_cannot_be_revoked(app, client, auth, form_post):
    auth.boater("C0001")
    client.get("/mandate/")
    (draft,) = mandate_rows(app)
    form_post("/mandate/", f"/mandate/{draft.id}/revoke")
    assert "Seul un mandat signé et actif peut être révoqué" in client.get("/mandate/").get_data(as_text=True)
    assert mandate_rows(app)[0].status == "draft"
