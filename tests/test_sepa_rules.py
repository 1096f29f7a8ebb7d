"""SEPA true to its rules: a valid ICS, amendment information, the EPC character set, no double charge,
the standard mandate wording and signing conditions, and the smaller points of the rulebook."""

import datetime as dt
import re

import pytest
from lxml import etree
from test_contract import pdf_text
from test_mandate import GOOD_IBAN, mandate_rows, save
from test_sepa_export import COLLECTION, add_mandate, db, export, parse

from marina_portal.core.formats import paris_today
from marina_portal.models import Customer, DirectDebit, Invoice, Mandate, Port, SignatureEvidence
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


NEW_ICS = "FR19ZZZ654321"
SAME_BANK_IBAN = "FR7630006000019876543210173"  # another account at the Crédit agricole (30006)
OTHER_BANK_IBAN = "FR7630004000019876543210157"  # an account at BNP Paribas (30004)


def amendment_of(xml, fmt="pain.008.001.08"):
    document = etree.fromstring(xml)
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{fmt}"}
    (related,) = document.findall(".//p:MndtRltdInf", namespaces=ns)
    return {
        "seq": document.findtext(".//p:PmtTpInf/p:SeqTp", namespaces=ns),
        "indicator": related.findtext("p:AmdmntInd", namespaces=ns),
        "name": related.findtext("p:AmdmntInfDtls/p:OrgnlCdtrSchmeId/p:Nm", namespaces=ns),
        "ics": related.findtext("p:AmdmntInfDtls/p:OrgnlCdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=ns),
        "iban": related.findtext("p:AmdmntInfDtls/p:OrgnlDbtrAcct/p:Id/p:IBAN", namespaces=ns),
        "agent": related.findtext("p:AmdmntInfDtls/p:OrgnlDbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=ns),
    }


def new_invoice(app, number, cents=10000):
    def create():
        Invoice.create(
            port=Port.current(),
            customer=Customer.get(Customer.code == "C0001"),
            number=number,
            issued_on=paris_today(),
            due_on=paris_today(),
            total_cents=cents,
        )

    db(app, create)


def signed_mandate(client, auth, form_post, app):
    auth.boater("C0001")
    save(form_post, GOOD_IBAN)
    (draft,) = mandate_rows(app)
    assert form_post("/mandate/", f"/mandate/{draft.id}/sign", accept="y").status_code == 303
    return mandate_rows(app)[0]


@pytest.mark.parametrize("fmt", ["pain.008.001.08", "pain.008.001.02"])
def test_after_the_port_changes_its_ics_and_name_the_next_debit_carries_the_originals(
    app, client, auth, form_post, runner, tmp_path, fmt
):
    mandate = signed_mandate(client, auth, form_post, app)
    assert (mandate.signed_creditor_id, mandate.signed_creditor_name) == ("FR72ZZZ123456", "PORT SAINTE MARIE LA MER")
    result, xml = export(runner, tmp_path, fmt=fmt, name="one.xml")
    assert result.exit_code == 0, result.output
    assert amendment_of(xml, fmt)["indicator"] is None
    db(app, lambda: Port.update(creditor_id=NEW_ICS, name="RÉGIE DU PORT SAINTE MARIE").execute())
    new_invoice(app, "X/2")
    result, xml = export(runner, tmp_path, date=COLLECTION + dt.timedelta(days=7), fmt=fmt, name="two.xml")
    assert result.exit_code == 0, result.output
    parse(xml, fmt)  # still valid against the schema
    assert amendment_of(xml, fmt) == {
        "seq": "RCUR",
        "indicator": "true",
        "name": "PORT SAINTE MARIE LA MER",
        "ics": "FR72ZZZ123456",
        "iban": None,
        "agent": None,
    }
    new_invoice(app, "X/3")
    result, xml = export(runner, tmp_path, date=COLLECTION + dt.timedelta(days=14), fmt=fmt, name="three.xml")
    assert amendment_of(xml, fmt)["indicator"] is None  # told once
    assert db(app, lambda: Mandate.get_by_id(mandate.id).signed_creditor_id) == "FR72ZZZ123456"  # kept as signed


def change_account(client, form_post, mandate, iban):
    return form_post(
        "/mandate/",
        f"/mandate/{mandate.id}/account",
        **{"account-iban": iban, "account-bic": "", "account-accept": "y"},
    )


def test_a_new_account_at_the_same_bank_carries_the_original_iban(app, client, auth, form_post, runner, tmp_path):
    mandate = signed_mandate(client, auth, form_post, app)
    export(runner, tmp_path, name="one.xml")
    assert change_account(client, form_post, mandate, SAME_BANK_IBAN).status_code == 303
    assert mandate_rows(app)[0].rum == mandate.rum and mandate_rows(app)[0].iban == SAME_BANK_IBAN
    new_invoice(app, "X/2")
    result, xml = export(runner, tmp_path, date=COLLECTION + dt.timedelta(days=7), name="two.xml")
    assert result.exit_code == 0, result.output
    found = amendment_of(xml)
    assert (found["seq"], found["indicator"], found["iban"], found["agent"]) == (
        "RCUR",
        "true",
        "FR7630006000011234567890189",
        None,
    )


def test_a_new_bank_is_smnda_and_frst_and_a_return_carries_it_again(app, client, auth, form_post, runner, tmp_path):
    mandate = signed_mandate(client, auth, form_post, app)
    export(runner, tmp_path, name="one.xml")
    assert change_account(client, form_post, mandate, OTHER_BANK_IBAN).status_code == 303
    new_invoice(app, "X/2")
    result, xml = export(runner, tmp_path, date=COLLECTION + dt.timedelta(days=7), name="two.xml")
    found = amendment_of(xml)
    assert (found["seq"], found["indicator"], found["agent"], found["iban"]) == ("FRST", "true", "SMNDA", None)
    (tx,) = parse(xml, "pain.008.001.08")
    assert runner.invoke(args=["sepa", "return", tx["e2e"], "--reason", "AM04"]).exit_code == 0
    result, xml = export(runner, tmp_path, date=COLLECTION + dt.timedelta(days=14), name="three.xml")
    assert amendment_of(xml)["agent"] == "SMNDA"


def test_the_mandate_has_the_standard_wording_and_its_place_of_signature(app, client, auth, form_post):
    auth.boater("C0001")
    save(form_post, GOOD_IBAN)
    (draft,) = mandate_rows(app)
    html = client.get("/mandate/").get_data(as_text=True)
    assert "vous autorisez (A) PORT SAINTE MARIE LA MER à envoyer des instructions à votre banque" in html
    assert "remplissez et vérifiez votre RIB" in html and "Lieu de signature" in html
    assert 'value="CARCASSONNE"' in html  # the place is offered from the debtor's address
    assert form_post("/mandate/", f"/mandate/{draft.id}/sign", accept="y", place="NARBONNE").status_code == 303
    signed = mandate_rows(app)[0]
    assert signed.signed_place == "NARBONNE"
    with app.app_context():
        (row,) = SignatureEvidence.select().where(SignatureEvidence.subject_type == "mandate")
        assert "Signé à : NARBONNE" in row.declaration and "paiement récurrent" in row.declaration
    text = " ".join(pdf_text(client.get(f"/mandate/{signed.id}/pdf").data).split())
    assert "Signé à : NARBONNE" in text and "vous autorisez (A) PORT SAINTE MARIE LA MER" in text
    html = client.get("/mandate/").get_data(as_text=True)
    assert "remplissez et vérifiez votre RIB" not in html and "votre mandat est signé" in html


@pytest.mark.parametrize(
    "settings, gap",
    [({"creditor_id": ""}, "(ICS)"), ({"creditor_id": "FR52ZZZ424242"}, "FR52ZZZ424242"), ({"street": ""}, "adresse")],
)
def test_no_mandate_is_signed_before_the_port_is_a_complete_creditor(
    app, client, auth, form_post, mailbox, settings, gap
):
    auth.boater("C0001")
    save(form_post, GOOD_IBAN)
    (draft,) = mandate_rows(app)
    db(app, lambda: Port.update(**settings).execute())
    page = client.get("/mandate/").get_data(as_text=True)
    assert "Le prélèvement n'est pas encore ouvert" in page and f"/mandate/{draft.id}/sign" not in page
    mailbox.clear()
    form_post("/mandate/", f"/mandate/{draft.id}/sign", accept="y")
    assert mandate_rows(app)[0].status == "draft"
    office = mailbox.last("web.management@example.com")
    assert draft.rum in mailbox.text(office) and gap in mailbox.text(office)
    assert db(app, lambda: SignatureEvidence.select().count()) == 0


def test_a_02_file_gives_the_debtor_address_in_address_lines(app, runner, tmp_path):
    add_mandate(app)
    result, xml = export(runner, tmp_path, fmt="pain.008.001.02")
    assert result.exit_code == 0, result.output
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
    address = etree.fromstring(xml).find(".//p:Dbtr/p:PstlAdr", namespaces=ns)
    assert [etree.QName(e).localname for e in address] == ["Ctry", "AdrLine", "AdrLine"]
    assert [e.text for e in address] == ["FR", "10, RUE DU MARCHE", "11000 CARCASSONNE"]


def test_the_bic_is_optional_for_an_eea_account(app, client, auth, form_post, runner, tmp_path, monkeypatch):
    from marina_portal.sepa import bank_details

    monkeypatch.setattr(bank_details, "bic_for", lambda iban: "")  # a bank schwifty's registry does not know
    auth.boater("C0001")
    assert save(form_post, GOOD_IBAN).status_code == 303
    (draft,) = mandate_rows(app)
    assert draft.bic == ""
    assert form_post("/mandate/", f"/mandate/{draft.id}/sign", accept="y").status_code == 303
    assert mandate_rows(app)[0].status == "active"
    result, xml = export(runner, tmp_path)
    assert result.exit_code == 0, result.output
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
    agent = etree.fromstring(xml).find(".//p:DrctDbtTxInf/p:DbtrAgt/p:FinInstnId", namespaces=ns)
    assert agent.findtext("p:Othr/p:Id", namespaces=ns) == "NOTPROVIDED"
    with pytest.raises(bank_details.BankDetailsError):  # outside the EEA the BIC is still needed
        bank_details.check_bic("", "CH9300762011623852957")


def test_the_return_reasons_are_complete_and_some_suspend_the_mandate(app, runner, tmp_path):
    from marina_portal.sepa.debit_batches import RETURN_REASONS

    codes = {code for code, _ in RETURN_REASONS}
    assert {"AC01", "AC04", "AC06", "AG01", "AG02", "AM04", "AM05", "BE05", "MD01", "MD02", "MD06", "MD07"} <= codes
    assert {"MS02", "MS03", "RC01", "RR01", "RR02", "RR03", "RR04", "SL01", "FF01", "CNOR", "DNOR"} <= codes
    for reason, status in (("AM04", "active"), ("MD07", "suspended")):
        mandate = add_mandate(app)
        result, xml = export(runner, tmp_path, name=f"{reason}.xml")
        (tx,) = parse(xml, "pain.008.001.08")
        assert runner.invoke(args=["sepa", "return", tx["e2e"], "--reason", reason]).exit_code == 0
        assert db(app, lambda: Mandate.get_by_id(mandate.id).status) == status
        if status == "active":
            db(app, lambda: Mandate.update(status="revoked").where(Mandate.id == mandate.id).execute())
    result, xml = export(runner, tmp_path, name="after.xml")
    assert result.exit_code == 1 and xml is None  # a suspended mandate is not collected


def test_a_collection_date_beyond_the_banks_window_is_refused(app, runner, tmp_path):
    add_mandate(app)
    result, xml = export(runner, tmp_path, date=paris_today() + dt.timedelta(days=61))
    assert result.exit_code == 1 and xml is None and "plus de 60 jours" in result.output
    assert db(app, lambda: DirectDebit.select().count()) == 0


def test_migration_adds_the_amendment_columns_to_an_older_database(app, client, auth, form_post):
    from playhouse.migrate import SchemaMigrator, migrate

    from marina_portal.core.db import database
    from marina_portal.migrations import init_db
    from marina_portal.migrations.m0120_mandate_amendments import MANDATE_COLUMNS

    signed = signed_mandate(client, auth, form_post, app)
    with app.app_context():
        database.connect(reuse_if_open=True)
        migrator = SchemaMigrator.from_database(database.obj)
        migrate(
            *[migrator.drop_column("mandate", name) for name in MANDATE_COLUMNS],
            migrator.drop_column("direct_debit", "amendment"),
        )
        database.execute_sql("DELETE FROM schema_migration WHERE name = 'm0120_mandate_amendments'")
        assert "m0120_mandate_amendments" in init_db()
        mandate = Mandate.get_by_id(signed.id)
        assert (mandate.signed_creditor_id, mandate.told_iban) == ("FR72ZZZ123456", signed.iban)
        assert "amendment" in {c.name for c in database.get_columns("direct_debit")}
        database.close()
