"""SEPA true to its rules: a valid ICS, amendment information, the EPC character set, no double charge,
the standard mandate wording and signing conditions, and the smaller points of the rulebook."""

import re

import pytest
from lxml import etree
from test_sepa_export import add_mandate, db, export

from marina_portal.models import Customer, DirectDebit, Port
from marina_portal.sepa import mandates


@pytest.fixture
def admin(auth):
    auth.staff(role="admin")


def test_paramètres_refuse_an_ics_with_wrong_check_digits(app, client, admin, form_post):
    response = form_post(
        "/staff/settings", name="PORT SAINTE MARIE LA MER", code="STEMARIE66", creditor_id="FR52ZZZ424242"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "chiffres de contrôle de l&#39;ICS" in html
    response = form_post("/staff/settings", name="PORT SAINTE MARIE LA MER", code="STEMARIE66", creditor_id="FR72-ZZZ")
    assert response.status_code == 422 and "FR72ZZZ123456" in response.get_data(as_text=True)
    saved = form_post(
        "/staff/settings", name="PORT SAINTE MARIE LA MER", code="STEMARIE66", creditor_id="fr72 zzz 123456"
    )
    assert saved.status_code == 303
    assert db(app, lambda: Port.current().creditor_id) == "FR72ZZZ123456"


def test_no_batch_is_exported_with_an_invalid_ics(app, runner, tmp_path):
    add_mandate(app)
    db(
        app,
        lambda: Port.update(
            creditor_id="FR52ZZZ424242", iban="FR7630006000011234567890189", bic="AGRIFRPPXXX"
        ).execute(),
    )
    result, xml = export(runner, tmp_path)
    assert result.exit_code == 1 and xml is None
    assert "identifiant créancier SEPA (ICS) valide" in result.output and "FR52ZZZ424242" in result.output
    assert db(app, lambda: DirectDebit.select().count()) == 0


EPC_SET = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")


def texts(xml):
    return [element.text for element in etree.fromstring(xml).iter() if element.text and element.text.strip()]


@pytest.mark.parametrize("fmt", ["pain.008.001.08", "pain.008.001.02"])
def test_only_the_epc_character_set_reaches_the_file(app, runner, tmp_path, fmt):
    def exotic():
        Port.update(name="Régie du Port « Sainte-Marie » & Cie").execute()
        Customer.update(
            last_name="Bât. «B» n°2 & Cie", first_name="Zoë", street="Quai d’Honneur – ponton n°3", town="Sète"
        ).where(Customer.code == "C0001").execute()

    db(app, exotic)
    mandate = add_mandate(app)
    result, xml = export(runner, tmp_path, fmt=fmt)
    assert result.exit_code == 0, result.output
    outside = [t for t in texts(xml) if not EPC_SET.fullmatch(t)]
    assert outside == []
    names = etree.fromstring(xml).findall(".//{*}Dbtr/{*}Nm")
    assert [n.text for n in names] == ["Bat. 'B' no2 + Cie Zoe"]
    assert re.fullmatch(r"[A-Z0-9]+", mandate.rum)


def test_an_accented_port_code_gives_a_rum_of_capitals_and_digits(app):
    def draw():
        port = Port.current()
        port.code = "SÈTE-PLAISANCE"
        return mandates.new_rum(port, Customer.get(Customer.code == "C0001"))

    rum = db(app, draw)
    assert re.fullmatch(r"[A-Z0-9]{1,35}", rum) and rum.startswith("SETEPLAISANC")
