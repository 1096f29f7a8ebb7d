"""E-invoicing (issue 15, items 3–5): the file-drop and Chorus Pro channels with their statuses, the staff pages,
the e-reporting totals, and suppliers' Factur-X invoices received."""

import datetime as dt
import json
import os

import pytest

from marina_portal.billing import credit_notes, invoicing
from marina_portal.core.db import database
from marina_portal.einvoicing import receiving, sending
from marina_portal.models import (
    Customer,
    EinvoiceEvent,
    EinvoiceSubmission,
    IncomingInvoice,
    Invoice,
    Payment,
    Port,
    PublicBuyer,
)
from tests.conftest import csrf_token

MONTH, ON = "2031-03", dt.date(2031, 3, 14)
SIRET = "73282932000074"  # valid (Luhn)
EXAMPLE_XML = "/work/shared/einvoicing/examples/CII_example1.xml"


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app(
        EINVOICING_DROP_DIR=str(tmp_path / "drop"),
        EINVOICING_CHORUS_DIR=str(tmp_path / "chorus"),
        EINVOICING_CHORUS_SANDBOX=True,
    )
    with app.app_context():
        port = Port.current()
        port.siren, port.siret, port.vat_number = "732829320", SIRET, "FR44732829320"
        port.save()
        database.close()
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def staff(auth):
    return auth.staff()


def business(code, company="CHANTIER NAVAL SAS"):
    customer = Customer.get(Customer.code == code)
    customer.kind, customer.company_name, customer.siren = "business", company, "552100554"
    customer.save()
    return customer


def issue(customer, *lines, on=ON):
    """Lines: (description, quantity milli, unit price e4, rate bp[, unit])."""
    draft = invoicing.create_draft(
        None,
        customer,
        "Prestations",
        [
            invoicing.Line(x[0], x[1], vat_rate_bp=x[3], unit_price_e4=x[2], unit=x[4] if len(x) > 4 else "")
            for x in lines
        ],
    )
    return invoicing.issue(draft, on=on)


def post(client, page, action, **fields):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **fields})


def ack(folder, name, status, reason=""):
    os.makedirs(folder / "ack", exist_ok=True)
    body = {"fichier": f"{name}.pdf", "statut": status, "motif": reason, "date": "2031-03-20T09:00:00Z"}
    (folder / "ack" / f"{name}.json").write_text(json.dumps(body), encoding="utf-8")


def test_file_drop_round_trip_with_an_acknowledgement_and_a_rejection(app, client, staff, tmp_path):
    with app.app_context():
        first = issue(business("C0001"), ("Place de port", 1000, 1_000_000, 2000))
        second = issue(business("C0002", "VOILERIE SARL"), ("Hivernage", 1000, 500_000, 2000))
        individual = issue(
            Customer.get(Customer.code == "C0001"), ("Autre mois", 1000, 10_000, 2000), on=dt.date(2031, 4, 1)
        )
        first_id, second_id, first_number, second_number = first.id, second.id, first.number, second.number
        database.close()
    response = post(client, "/staff/einvoicing", "/staff/einvoicing/send", month=MONTH)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 document(s) déposé(s)" in page
    out = sorted(os.listdir(tmp_path / "drop" / "out"))
    names = [f"STEMARIE66_facture_{n.replace('/', '-')}" for n in (first_number, second_number)]
    assert out == sorted(n + ".pdf" for n in names)  # whole files only: no temporary name left behind
    assert (tmp_path / "drop" / "out" / out[0]).read_bytes().startswith(b"%PDF")
    # Sending again deposits nothing more: each document goes once.
    response = post(client, "/staff/einvoicing", "/staff/einvoicing/send", month=MONTH)
    assert "Aucune facture professionnelle du mois 2031-03" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert individual.id not in {s.invoice_id for s in EinvoiceSubmission.select()}

    ack(tmp_path / "drop", names[0], "recue")
    ack(tmp_path / "drop", names[1], "rejetee", "SIREN de l'acheteur inconnu de l'annuaire")
    (tmp_path / "drop" / "ack" / "garbage.json").write_text("{pas du json", encoding="utf-8")
    response = post(client, "/staff/einvoicing", "/staff/einvoicing/read-back")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 statut(s) mis à jour" in page
    assert "garbage.json : fichier illisible (JSON UTF-8 attendu)" in page
    assert sorted(os.listdir(tmp_path / "drop" / "ack" / "done")) == sorted(n + ".json" for n in names)
    assert os.listdir(tmp_path / "drop" / "ack" / "errors") == ["garbage.json"]
    assert "Rejetées : à corriger par avoir" in page and "SIREN de l&#39;acheteur inconnu de l&#39;annuaire" in page
    assert f'href="/staff/invoices/{second_id}">Émettre un avoir' in page

    listing = client.get("/staff/invoices").get_data(as_text=True)
    assert ">Reçue</a>" in listing and ">Rejetée</a>" in listing

    with app.app_context():
        credit_notes.issue_credit_note(None, Invoice.get_by_id(second_id), "Rejet plateforme", on=ON)
        due = invoicing.invoice_with_paid(first_id).balance_cents
        invoicing.record_payment(None, first_id, "transfer", due, ON)
        database.close()
    assert "Avoir AV2031" in client.get("/staff/einvoicing").get_data(as_text=True)
    post(client, "/staff/einvoicing", "/staff/einvoicing/read-back")
    with app.app_context():
        submission = EinvoiceSubmission.get(EinvoiceSubmission.invoice == first_id)
        assert submission.status == "encaissee"
        assert [e.status for e in sending.history(submission)] == ["deposee", "recue", "encaissee"]
        sid = submission.id
        database.close()
    collected = json.loads((tmp_path / "drop" / "out" / f"{names[0]}.encaissee.json").read_text())
    assert collected["statut"] == "encaissee" and collected["montant"] == 12_000
    history = client.get(f"/staff/einvoicing/{sid}").get_data(as_text=True)
    assert "Déposée" in history and "Reçue" in history and "Encaissée" in history
    assert f"Facture {first_number} : Encaissée" in history
    # A late acknowledgement never moves the status back.
    ack(tmp_path / "drop", names[0], "recue")
    post(client, "/staff/einvoicing", "/staff/einvoicing/read-back")
    with app.app_context():
        assert EinvoiceSubmission.get_by_id(sid).status == "encaissee"


def test_chorus_pro_sandbox_round_trip(app, client, staff, tmp_path):
    with app.app_context():
        town, harbour = business("C0001", "MAIRIE DE SAINTE-MARIE"), business("C0002", "SYNDICAT MIXTE")
        sending.save_public_buyer(town, "732 829 320 00074", "SERVICE-PORT", "EJ-2031-42")
        sending.save_public_buyer(harbour, SIRET, "", "")
        good = issue(town, ("Place de port", 1000, 1_000_000, 2000))
        bad = issue(harbour, ("Place de port", 1000, 1_000_000, 2000))
        sent, problems = sending.send_month(Port.current(), MONTH)
        assert problems == [] and {s.channel for s in sent} == {"chorus-pro"}
        good_name = EinvoiceSubmission.get(EinvoiceSubmission.invoice == good.id).file_name
        envelope = json.loads((tmp_path / "chorus" / "out" / f"{good_name}.json").read_text())
        assert envelope["syntaxeFlux"] == "IN_DP_E1_FACTURX"
        assert envelope["destinataire"] == {
            "nom": "MAIRIE DE SAINTE-MARIE",
            "siret": SIRET,
            "codeService": "SERVICE-PORT",
        }
        assert envelope["numeroEngagement"] == "EJ-2031-42" and envelope["montantTTC"] == "120.00"
        assert envelope["fournisseur"]["siret"] == SIRET and envelope["typeFacture"] == "FACTURE"
        database.close()
    post(client, "/staff/einvoicing", "/staff/einvoicing/read-back")
    with app.app_context():
        assert EinvoiceSubmission.get(EinvoiceSubmission.invoice == good.id).status == "recue"
        rejected = EinvoiceSubmission.get(EinvoiceSubmission.invoice == bad.id)
        assert (rejected.status, rejected.reason) == ("rejetee", "Code service obligatoire pour ce destinataire")
        from marina_portal.einvoicing import sandbox

        sandbox.pay(str(tmp_path / "chorus"), good_name)
        assert sending.read_back() == (1, [])
        assert EinvoiceSubmission.get(EinvoiceSubmission.invoice == good.id).status == "encaissee"
        database.close()


def test_ereporting_totals_equal_the_period_invoices_and_payments(app, runner, tmp_path):
    with app.app_context():
        jean, other = Customer.get(Customer.code == "C0001"), Customer.get(Customer.code == "C0002")
        a = issue(
            jean,
            ("Nuitées", 3000, 250_000, 2000),
            ("Électricité", 12_500, 2316, 2000, "kWh"),
            ("Cale", 1000, 99_999, 1000),
        )
        b = issue(other, ("Place", 1000, 1_234_567, 2000))
        issue(jean, ("Hors période", 1000, 777_700, 2000), on=dt.date(2031, 4, 2))
        note = credit_notes.issue_credit_note(None, b, "Geste commercial", amount_cents=10_000, on=ON)
        invoicing.record_payment(None, a.id, "cheque", 5_000, ON)
        invoicing.record_payment(None, b.id, "transfer", b.total_cents - 10_000 - 1_00, dt.date(2031, 3, 31))
        invoicing.record_payment(None, b.id, "cash", 1_00, dt.date(2031, 4, 1))  # next period
        company = Customer.create(
            port=jean.port, code="P1", last_name="LEROY", kind="business", company_name="CHANTIER"
        )
        pro = issue(company, ("Pro", 1000, 500_000, 2000))  # a business sale: e-invoiced, not e-reported
        invoicing.record_payment(None, pro.id, "cash", 1_000, ON)
        invoices = list(Invoice.select().where(Invoice.id.in_([a.id, b.id])))
        expected_ttc = sum(i.total_cents for i in invoices) - note.total_cents
        expected_lines = [line for i in invoices for line in i.lines]
        expected_ht = sum(li.total_ht_cents for li in expected_lines) - sum(li.total_ht_cents for li in note.lines)
        expected_paid = sum(
            p.amount_cents
            for p in Payment.select().where(
                Payment.invoice.in_([a.id, b.id])
                & Payment.received_on.between(dt.date(2031, 3, 1), dt.date(2031, 3, 31))
                & Payment.method.not_in(["credit", "absence_credit"])
            )
        )
        a_ttc = sum(li.total_ht_cents + li.total_vat_cents for li in a.lines)
        a_goods = sum(li.total_ht_cents + li.total_vat_cents for li in a.lines if li.unit == "kWh")
        database.close()
    target = tmp_path / "ereporting.json"
    result = runner.invoke(args=["ereporting", "export", "--period", MONTH, "-o", str(target)])
    assert result.exit_code == 0, result.output
    body = json.loads(target.read_text())
    assert body["periodicite"] == "month" and len(body["periodes"]) == 1
    period = body["periodes"][0]
    assert (period["debut"], period["fin"]) == ("2031-03-01", "2031-03-31")
    cents = lambda text: round(float(text) * 100)  # noqa: E731
    assert cents(period["total_transactions"]["montant_ttc"]) == expected_ttc
    assert cents(period["total_transactions"]["base_ht"]) == expected_ht
    assert sum(cents(t["montant_ttc"]) for t in period["transactions"]) == expected_ttc
    assert {(t["categorie"], t["taux_tva"]) for t in period["transactions"]} == {
        ("TPS1", "10.00"),
        ("TPS1", "20.00"),
        ("TLB1", "20.00"),
    }
    # Payments: services only; b is all services, a's cheque is shared with its electricity (goods).
    assert period["nombre_paiements"] == 2
    total_paid = cents(period["total_encaissements"])
    assert total_paid == sum(cents(p["montant_encaisse_ttc"]) for p in period["encaissements"])
    assert total_paid == expected_paid - invoicing.round_div(5_000 * a_goods, a_ttc)

    # Ten-day periods: three, whose totals add up to the month's.
    with app.app_context():
        Port.update(ereporting_period="decade").execute()
        database.close()
    body = json.loads(runner.invoke(args=["ereporting", "export", "--period", MONTH]).stdout)
    assert [p["debut"] for p in body["periodes"]] == ["2031-03-01", "2031-03-11", "2031-03-21"]
    assert sum(cents(p["total_transactions"]["montant_ttc"]) for p in body["periodes"]) == expected_ttc
    assert sum(cents(p["total_encaissements"]) for p in body["periodes"]) == total_paid


def test_ereporting_bad_periods_get_clear_french_messages(app, runner, client, staff, form_post):
    result = runner.invoke(args=["ereporting", "export", "--period", "2031-13"])
    assert result.exit_code == 2 and "Indiquez le mois au format AAAA-MM, par exemple 2027-01." in result.output
    with app.app_context():
        Port.update(ereporting_period="two_months").execute()
        database.close()
    result = runner.invoke(args=["ereporting", "export", "--period", "2031-04"])
    assert result.exit_code == 2 and "commence un mois impair" in result.output
    response = client.get("/staff/einvoicing/ereporting?period=mars")
    assert response.status_code == 422 and "Indiquez le mois au format AAAA-MM" in response.get_data(as_text=True)
    response = post(client, "/staff/einvoicing", "/staff/einvoicing/send", month="03/2031")
    assert response.status_code == 422 and "Indiquez le mois au format AAAA-MM" in response.get_data(as_text=True)
    response = post(client, "/staff/einvoicing", "/staff/einvoicing/period", ereporting_period="semaine")
    assert response.status_code == 422 and "Choisissez la périodicité" in response.get_data(as_text=True)
    response = client.get("/staff/einvoicing/ereporting?period=2031-01")
    assert response.status_code == 200 and json.loads(response.data)["periodes"][0]["fin"] == "2031-02-28"


def test_public_buyer_form_checks_the_siret(app, client, staff):
    with app.app_context():
        cid = Customer.get(Customer.code == "C0001").id
        database.close()
    url = f"/staff/customers/{cid}/public-buyer"
    response = post(client, url, url, siret="1234", service_code="S1", engagement="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Le SIRET doit compter 14 chiffres et être valide" in page
    assert 'value="S1"' in page  # what was typed stays
    response = post(client, url, url, siret=SIRET, service_code="S1", engagement="EJ1")
    assert response.status_code == 303
    with app.app_context():
        assert PublicBuyer.get(PublicBuyer.customer == cid).service_code == "S1"
        database.close()
    assert post(client, url, url, siret="", service_code="", engagement="").status_code == 303
    with app.app_context():
        assert not PublicBuyer.select().exists()


def facturx_pdf(tmp_path):
    import facturx
    import pikepdf

    blank = tmp_path / "blank.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(blank)
    xml = open(EXAMPLE_XML, "rb").read()
    return facturx.generate_from_binary(blank.read_bytes(), xml, check_xsd=False, flavor="factur-x", level="en16931")


def test_suppliers_invoices_are_received_listed_and_their_pdf_shown(app, client, staff, tmp_path):
    incoming = tmp_path / "drop" / "in"
    incoming.mkdir(parents=True)
    data = facturx_pdf(tmp_path)
    (incoming / "fournisseur.pdf").write_bytes(data)
    (incoming / "sans-xml.pdf").write_bytes((tmp_path / "blank.pdf").read_bytes())
    response = post(client, "/staff/einvoicing", "/staff/einvoicing/read-back")
    assert "2 facture(s) fournisseur reçue(s)" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert sorted(os.listdir(incoming / "done")) == ["fournisseur.pdf", "sans-xml.pdf"]
    page = client.get("/staff/einvoicing/received").get_data(as_text=True)
    assert "De Koksmaat" in page and "12115118" in page and "09/01/2015" in page and "250,33" in page
    assert "Ce PDF ne contient pas de facture Factur-X." in page
    with app.app_context():
        row = IncomingInvoice.get(IncomingInvoice.number == "12115118")
        database.close()
    response = client.get(f"/staff/einvoicing/received/{row.id}.pdf")
    assert response.status_code == 200 and response.data == data
    # The same file coming again is one row.
    (incoming / "fournisseur.pdf").write_bytes(data)
    post(client, "/staff/einvoicing", "/staff/einvoicing/read-back")
    with app.app_context():
        assert IncomingInvoice.select().count() == 2
        assert receiving.read_facturx(b"not a pdf") == "PDF illisible."


def test_another_ports_rows_are_404(app, client, staff, tmp_path):
    with app.app_context():
        other = Port.create(name="Autre port", code="AUTRE")
        stranger = Customer.create(port=other, last_name="ETRANGER", code="X1")
        invoice = Invoice.create(port=other, customer=stranger, number="X-1", issued_on=ON, total_cents=100)
        submission = EinvoiceSubmission.create(port=other, invoice=invoice, channel="file-drop", file_name="AUTRE_x")
        kept = IncomingInvoice.create(port=other, file_name="x.pdf", path="einvoicing-in/x.pdf", sha256="0" * 64)
        ids = stranger.id, submission.id, kept.id
        database.close()
    assert client.get(f"/staff/customers/{ids[0]}/public-buyer").status_code == 404
    assert client.get(f"/staff/einvoicing/{ids[1]}").status_code == 404
    assert client.get(f"/staff/einvoicing/received/{ids[2]}.pdf").status_code == 404
    assert "AUTRE_x" not in client.get("/staff/einvoicing").get_data(as_text=True)
    assert "x.pdf" not in client.get("/staff/einvoicing/received").get_data(as_text=True)


def test_a_deposit_that_fails_leaves_no_row_and_an_unknown_channel_is_said(app, make_app, tmp_path):
    with app.app_context():
        invoice = issue(business("C0001"), ("Place de port", 1000, 1_000_000, 2000))
        name = sending.file_name_of(Port.current(), "invoice", invoice.number)
        (tmp_path / "drop" / "out").mkdir(parents=True)
        (tmp_path / "drop" / "out" / f"{name}.pdf").write_bytes(b"already there")
        sent, problems = sending.send_month(Port.current(), MONTH)
        assert sent == [] and problems == [f"{invoice.number} : Le fichier {name}.pdf attend déjà d'être collecté."]
        assert not EinvoiceSubmission.select().exists()
        app.config["EINVOICING_CHANNEL"] = "fax"
        (tmp_path / "drop" / "out" / f"{name}.pdf").unlink()
        sent, problems = sending.send_month(Port.current(), MONTH)
        assert problems == [f"{invoice.number} : Canal de facturation électronique inconnu : 'fax'."]
        assert sending.read_back() == (0, ["Canal de facturation électronique inconnu : 'fax'."])
        database.close()


def test_the_migration_adds_the_tables_and_the_period_to_an_older_database(app):
    from marina_portal.migrations import migrate as apply_migrations

    with app.app_context():
        database.drop_tables([EinvoiceEvent, EinvoiceSubmission, IncomingInvoice, PublicBuyer])
        database.execute_sql("ALTER TABLE port DROP COLUMN ereporting_period")
        database.execute_sql("DELETE FROM schema_migration WHERE name = 'm0320_einvoicing'")
        assert apply_migrations(database) == ["m0320_einvoicing"]
        assert {"public_buyer", "einvoice_submission", "einvoice_event", "incoming_invoice"} <= set(
            database.get_tables()
        )
        assert Port.current().ereporting_period == "month"
        database.close()


def test_the_cli_without_a_port_says_so(make_app):
    empty = make_app(demo=False)
    result = empty.test_cli_runner().invoke(args=["ereporting", "export", "--period", MONTH])
    assert result.exit_code == 1 and "Aucun port dans la base" in result.output


def test_documents_without_facturx_are_held_back_and_listed(app, client, staff, tmp_path):
    with app.app_context():
        customer = business("C0001")
        imported = Invoice.create(
            port=Port.current(), customer=customer, number="IMP-0042", issued_on=ON, total_cents=50_000
        )
        with_lines = issue(customer, ("Place de port", 1000, 1_000_000, 2000))
        imported_id, number = imported.id, with_lines.number
        database.close()
    response = post(client, "/staff/einvoicing", "/staff/einvoicing/send", month=MONTH)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 document(s) déposé(s)" in page
    assert "IMP-0042 : Sans Factur-X : document importé en totaux, sans lignes ni ventilation de TVA" in page
    assert os.listdir(tmp_path / "drop" / "out") == [f"STEMARIE66_facture_{number.replace('/', '-')}.pdf"]
    page = client.get(f"/staff/einvoicing?month={MONTH}").get_data(as_text=True)
    assert "Non transmis : sans Factur-X (2031-03)" in page
    assert f'href="/staff/invoices/{imported_id}">Facture IMP-0042</a>' in page

    # A port whose legal identity is incomplete (here: removed after issuing) deposits nothing: no XML.
    with app.app_context():
        late = issue(customer, ("Hivernage", 1000, 500_000, 2000))
        Port.update(siren="", vat_number="").execute()
        sent, problems = sending.send_month(Port.current(), MONTH)
        assert sent == []
        reason = "Sans Factur-X : l'identité légale du port est incomplète (manque le SIREN"
        assert any(p.startswith(f"{late.number} : {reason}") for p in problems)
        assert {row[1].number for row in sending.held_back(Port.current(), MONTH)} == {"IMP-0042", late.number}
        with pytest.raises(sending.Refused, match="complétez-la dans Paramètres"):
            sending.send(Port.current(), late)
        assert EinvoiceSubmission.select().count() == 1
        database.close()


def test_the_platform_sandbox_answers_the_file_drop_in_development(make_app, tmp_path, monkeypatch):
    monkeypatch.setenv("MARINA_DEV", "1")
    monkeypatch.delenv("MARINA_EINVOICING_DROP_DIR", raising=False)
    app = make_app(EINVOICING_DROP_DIR=str(tmp_path / "drop"))
    assert app.config["EINVOICING_PLATFORM_SANDBOX"] is True  # switched on by dev mode, like the bank's
    with app.app_context():
        port = Port.current()
        port.siren, port.siret, port.vat_number = "732829320", SIRET, "FR44732829320"
        port.save()
        good = issue(business("C0001"), ("Place de port", 1000, 1_000_000, 2000))
        no_siren = business("C0002", "VOILERIE SARL")
        no_siren.siren = ""
        no_siren.save()
        bad = issue(no_siren, ("Hivernage", 1000, 500_000, 2000))
        sent, problems = sending.send_month(port, MONTH)
        assert len(sent) == 2 and problems == []
        names = {s.invoice_id: s.file_name for s in sent}
        # A file the platform cannot read at all, dropped by hand under a submission's name.
        broken = EinvoiceSubmission.create(port=port, channel="file-drop", file_name="STEMARIE66_facture_X")
        (tmp_path / "drop" / "out" / "STEMARIE66_facture_X.pdf").write_bytes(b"not a pdf")
        database.close()
    with app.app_context():
        changed, problems = sending.read_back()
        assert problems == [] and changed == 3
        assert EinvoiceSubmission.get(EinvoiceSubmission.invoice == good.id).status == "recue"
        rejected = EinvoiceSubmission.get(EinvoiceSubmission.invoice == bad.id)
        assert rejected.status == "rejetee"
        assert rejected.reason == "Destinataire introuvable dans l'annuaire : SIREN de l'acheteur (BT-47) absent."
        assert EinvoiceSubmission.get_by_id(broken.id).reason == "Fichier refusé : ce n'est pas un PDF."
        database.close()
    # The answers are files in the platform's format, read once like a real platform's.
    done = sorted(os.listdir(tmp_path / "drop" / "ack" / "done"))
    assert done == sorted(
        [f"{names[good.id]}.recue.json", f"{names[bad.id]}.rejetee.json", "STEMARIE66_facture_X.rejetee.json"]
    )
    body = json.loads((tmp_path / "drop" / "ack" / "done" / f"{names[bad.id]}.rejetee.json").read_text())
    assert body["fichier"] == f"{names[bad.id]}.pdf" and body["statut"] == "rejetee" and body["date"].endswith("Z")
    assert [n for n in os.listdir(tmp_path / "drop" / "out") if not n.startswith("done")] == []  # collected


def test_the_platform_sandbox_is_off_when_the_real_folder_is_named_and_never_in_production(
    make_app, tmp_path, monkeypatch
):
    from marina_portal.core.production import NotReadyForProduction, check
    from tests.test_production import GOOD

    monkeypatch.setenv("MARINA_DEV", "1")
    monkeypatch.setenv("MARINA_EINVOICING_DROP_DIR", str(tmp_path / "connector"))
    assert make_app().config["EINVOICING_PLATFORM_SANDBOX"] is False
    monkeypatch.delenv("MARINA_DEV")
    monkeypatch.delenv("MARINA_EINVOICING_DROP_DIR")
    assert make_app().config["EINVOICING_PLATFORM_SANDBOX"] is False  # off by default
    for setting in ("EINVOICING_PLATFORM_SANDBOX", "EINVOICING_CHORUS_SANDBOX"):
        app = make_app(**GOOD, **{setting: True})
        with pytest.raises(NotReadyForProduction, match="bac à sable de facturation électronique"):
            check(app)


def test_the_held_back_list_runs_the_same_queries_for_one_document_or_ten(app):
    import logging

    from test_invoice_list import QueryCounter

    def queries():
        logger, counter = logging.getLogger("peewee"), QueryCounter()
        level = logger.level
        logger.addHandler(counter)
        logger.setLevel(logging.DEBUG)
        try:
            held = sending.held_back(Port.current(), MONTH)
        finally:
            logger.removeHandler(counter)
            logger.setLevel(level)
        return len(held), counter.count

    with app.app_context():
        customer = business("C0001")
        port = Port.current()
        Invoice.create(port=port, customer=customer, number="IMP-0001", issued_on=ON, total_cents=100)
        one = queries()
        for n in range(2, 11):
            Invoice.create(port=port, customer=customer, number=f"IMP-{n:04d}", issued_on=ON, total_cents=100)
        ten = queries()
        database.close()
    assert (one[0], ten[0]) == (1, 10) and one[1] == ten[1]
