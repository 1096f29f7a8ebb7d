"""The smaller things a new boater on a phone runs into (issue 16, item 9)."""

import re

import pytest
from conftest import csrf_token
from test_waiting_list import fields

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today, parse_metres
from marina_portal.models import Contract, WaitingListApplication, utcnow

YEAR = paris_today().year


@pytest.mark.parametrize("typed, centimetres", [("9.5 m", 950), ("9,50 m", 950), ("9 mètres", 900), ("3.2m", 320)])
def test_a_size_with_its_unit_is_read(typed, centimetres):
    assert parse_metres(typed) == centimetres
    assert parse_metres("neuf mètres") is None


def test_width_and_draught_errors_give_their_own_example(form_post):
    page = form_post("/waiting-list/apply", **fields(beam="large", draught="profond")).get_data(as_text=True)
    assert "par exemple 3,20." in page and "par exemple 1,50." in page


def test_a_size_typed_with_its_unit_is_accepted(app, form_post):
    assert form_post("/waiting-list/apply", **fields(length="9.5 m")).status_code == 303
    with app.app_context():
        assert WaitingListApplication.get().length_cm == 950
        database.close()


def test_an_invoice_number_typed_with_a_dash_is_read_as_printed(client, mailbox):
    token = csrf_token(client.get("/register/contract").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "email": "sophie.martin@example.com",
        "invoice_number": f"{YEAR}-02301",
        "invoice_date": f"10/01/{YEAR}",
        "amount": "2 340,00",
    }
    assert client.post("/register/contract", data=data).status_code == 303


def test_amount_hints_keep_their_digits_together(client):
    page = client.get("/register/contract").get_data(as_text=True)
    assert "par exemple 1\u00a0520,00." in page


def test_contract_number_whole_and_the_two_pdf_links_named(app, client, auth):
    auth.boater("C0001")
    page = client.get("/contract/").get_data(as_text=True)
    assert f'n° <span class="nowrap">{YEAR}-0042</span>' in page
    assert "Contrat à lire" in page
    with app.app_context():
        Contract.update(status="signed", signed_at=utcnow()).execute()
        database.close()
    page = client.get("/contract/").get_data(as_text=True)
    names = re.findall(r'<span class="pdf-name">([^<]+)</span>', page)
    assert names == ["Contrat à lire", "Contrat signé"]


def test_the_country_is_not_glued_to_the_town(client, auth):
    auth.boater("C0001")
    page = client.get("/my-boat/").get_data(as_text=True)
    assert "CARCASSONNE FR" not in page and "Pays : FR" in page


def test_no_contract_says_it_leads_to_the_waiting_list(client):
    page = client.get("/register").get_data(as_text=True).replace("&#39;", "'")
    assert "votre demande prend rang sur la liste d'attente" in page
