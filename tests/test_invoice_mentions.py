"""The port's legal identity in Paramètres, business customers, and every mention French law asks on the PDF."""

import html
import re
import subprocess

import pytest

from marina_portal.billing import invoicing, legal
from marina_portal.core import formats
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.imports import importing
from marina_portal.models import AuditLog, Customer, Invoice, Port

YEAR = paris_today().year
SETTINGS = dict(
    name="PORT SAINTE MARIE LA MER",
    code="STEMARIE66",
    street="Quai de la Capitainerie",
    postcode="66000",
    town="SAINTE MARIE LA MER",
    legal_name="RÉGIE DU PORT DE SAINTE MARIE",
    legal_status="public",
    legal_form="Régie municipale dotée de l'autonomie financière",
    siren="732 829 320",
    siret="73282932000074",
    vat_number="FR 44 732829320",
    vat_regime="debits",
    payment_days="30",
    payment_terms="à réception, par carte sur le portail, chèque ou virement",
    late_penalty="",
)


@pytest.fixture
def admin(auth):
    auth.staff(role="admin")


def pdf_text(data, tmp_path):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", text)


def test_french_quantities_rates_and_four_decimal_prices():
    assert [formats.quantity(q) for q in (312500, 1000, 2250, 1312500)] == ["312,5", "1", "2,25", "1 312,5"]
    assert [formats.vat_rate(r) for r in (550, 2000, 210, 0)] == ["5,5 %", "20 %", "2,1 %", "0 %"]
    assert [formats.unit_price(p) for p in (2316, 15200000, 12300)] == ["0,2316 €", "1 520,00 €", "1,23 €"]
    assert formats.parse_decimal("312,5", 3) == 312500 and formats.parse_decimal("0,2316 €", 4) == 2316
    assert formats.parse_decimal("0,23161", 4) is None and formats.parse_decimal("douze", 3) is None
    line = invoicing.Line("Électricité", 312500, vat_rate_bp=550, unit_price_e4=2316)
    assert (line.total_ht_cents, line.total_vat_cents, line.unit_price_cents) == (7238, 398, 23)  # 72,375 -> 72,38


def test_identifiers_are_checked():
    assert legal.check_siren("732 829 320") == "732829320"
    assert legal.check_vat_number("fr44 732829320", "732829320") == "FR44732829320"
    assert legal.check_vat_number("DE136695976") == "DE136695976"
    for check, bad in (
        (legal.check_siren, "732829321"),
        (legal.check_siret, "73282932000075"),
        (legal.check_vat_number, "FR00732829320"),
    ):
        with pytest.raises(legal.IdentifierError):
            check(bad)
    with pytest.raises(legal.IdentifierError, match="commencer par le SIREN"):
        legal.check_siret("73282932000074", "552100554")
    with pytest.raises(legal.IdentifierError, match="ne correspond pas au SIREN"):
        legal.check_vat_number("FR44732829320", "552100554")


def test_settings_save_the_legal_identity_normalised(app, client, admin, form_post):
    response = form_post("/staff/settings", **SETTINGS)
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        port = Port.current()
        assert (port.siren, port.siret, port.vat_number, port.vat_regime) == (
            "732829320",
            "73282932000074",
            "FR44732829320",
            "debits",
        )
        assert port.payment_days == 30 and port.legal_status == "public"
        assert AuditLog.select().where(AuditLog.action == "port.settings").count() == 1


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("siren", "123456789", "SIREN n'est pas valide"),
        ("siren", "12345", "SIREN n'est pas valide"),
        ("siret", "73282932000075", "SIRET n'est pas valide"),
        ("siret", "55210055400013", "commencer par le SIREN"),
        ("vat_number", "FR00732829320", "TVA intracommunautaire n'est pas valide"),
        ("vat_number", "FR96552100554", "ne correspond pas au SIREN"),
        ("vat_number", "DE136695976", "numéro français"),
        ("payment_days", "trente", "entre 0 et 60"),
        ("payment_days", "90", "entre 0 et 60"),
        ("payment_days", "-1", "entre 0 et 60"),
        ("late_penalty", "x" * 201, "plus de 200 caractères"),
        ("vat_regime", "aucun", "pas un choix valide"),
        ("legal_status", "association", "pas un choix valide"),
    ],
)
def test_settings_refuse_bad_identifiers(app, client, admin, form_post, field, value, message):
    response = form_post("/staff/settings", **dict(SETTINGS, **{field: value}))
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert Port.current().siren == ""


def test_the_settings_page_says_what_is_missing_before_invoicing(app, client, admin):
    page = client.get("/staff/settings").get_data(as_text=True)
    assert "Pour émettre des factures, renseignez : le SIREN, le numéro de TVA intracommunautaire." in page


def _customer_fields(**changes):
    fields = dict(
        last_name="DUPONT",
        first_name="JEAN",
        street="10, RUE DU MARCHÉ",
        postcode="11000",
        town="CARCASSONNE",
        country="FR",
        email="jean.dupont@example.com",
        kind="business",
        company_name="VOILES DUPONT SARL",
        siren="552 100 554",
        vat_number="FR96552100554",
        billing_email="Compta@Voiles-Dupont.example",
    )
    return dict(fields, **changes)


def test_a_customer_becomes_a_business_on_the_staff_form(app, client, admin, form_post):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0001").id
    url = f"/staff/customers/{customer_id}/edit"
    assert form_post(url, **_customer_fields()).status_code == 303
    with app.app_context():
        customer = Customer.get_by_id(customer_id)
        assert (customer.kind, customer.siren, customer.vat_number, customer.billing_email) == (
            "business",
            "552100554",
            "FR96552100554",
            "compta@voiles-dupont.example",
        )
        assert customer.billing_name == "VOILES DUPONT SARL"
    page = client.get(f"/staff/customers/{customer_id}").get_data(as_text=True)
    assert "VOILES DUPONT SARL" in page and "SIREN 552100554" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(company_name=""), "Indiquez la raison sociale"),
        (dict(siren="552100555"), "SIREN n'est pas valide"),
        (dict(vat_number="FR44732829320"), "ne correspond pas au SIREN"),
        (dict(vat_number="XX123"), "TVA intracommunautaire n'est pas valide"),
        (dict(kind="individual"), "Un particulier n'a pas de SIREN"),
        (dict(kind="martien"), "pas un choix valide"),
        (dict(billing_email="pas une adresse"), "Saisissez une adresse mail valide"),
    ],
)
def test_bad_business_facts_are_refused(app, client, admin, form_post, changes, message):
    with app.app_context():
        customer_id = Customer.get(Customer.code == "C0001").id
    url = f"/staff/customers/{customer_id}/edit"
    response = form_post(url, **_customer_fields(**changes))
    assert response.status_code == 200 and message in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert Customer.get_by_id(customer_id).kind == "individual"


def test_business_customers_are_imported_with_checked_identifiers(app):
    good = (
        "code;last_name;kind;company_name;siren;vat_number;billing_email\n"
        "C3001;MARTIN;professionnel;CHANTIER MARTIN;552100554;FR96552100554;compta@martin.example\n"
        "C3002;DURAND;;;;;\n"
    ).encode()
    bad = (
        "code;last_name;kind;company_name;siren;vat_number\n"
        "C3003;A;professionnel;X;552100555;\n"
        "C3004;B;particulier;;552100554;\n"
        "C3005;C;professionnel;Y;552100554;FR44732829320\n"
        "C3006;D;robot;;;\n"
    ).encode()
    with app.app_context():
        report = importing.run(None, Port.current(), "customers", good)
        assert report.applied, report.problems
        martin = Customer.get(Customer.code == "C3001")
        assert (martin.kind, martin.company_name, martin.siren) == ("business", "CHANTIER MARTIN", "552100554")
        assert Customer.get(Customer.code == "C3002").kind == "individual"
        report = importing.run(None, Port.current(), "customers", bad)
        assert not report.applied
        assert [(p.line, p.column) for p in report.problems] == [
            (2, "siren"),
            (3, "kind"),
            (4, "vat_number"),
            (5, "kind"),
        ]


def test_an_imported_invoice_keeps_its_number_and_is_never_changed_by_a_new_import(app):
    data = "code;number;customer_code;issued_on;total\nF9001;{y}/07777;C0001;15/02/{y};100,00\n"
    with app.app_context():
        assert importing.run(None, Port.current(), "invoices", data.format(y=YEAR).encode()).applied
        assert importing.run(None, Port.current(), "invoices", data.format(y=YEAR).encode()).unchanged == 1
        changed = data.format(y=YEAR).replace("100,00", "120,00").encode()
        report = importing.run(None, Port.current(), "invoices", changed)
        assert not report.applied and "avoir" in report.problems[0].why
        assert Invoice.get(Invoice.code == "F9001").total_cents == 10000


def _issue(app, customer_code, regime="receipts", lines=None):
    with app.app_context():
        port = Port.current()
        port.siren, port.vat_number, port.vat_regime = "732829320", "FR44732829320", regime
        port.legal_form = "Régie municipale"
        port.save()
        customer = Customer.get(Customer.code == customer_code)
        rate = 2000 if regime in ("receipts", "debits") else 0
        lines = lines or [
            invoicing.Line("Place annuelle B-12", 1000, vat_rate_bp=rate, unit_price_e4=12666700),
            invoicing.Line("Électricité", 312500, vat_rate_bp=rate and 550, unit_price_e4=2316, unit="kWh"),
        ]
        contract = customer.contracts[0]
        invoice = invoicing.issue(
            invoicing.create_draft(None, customer, "Facture de contrat Annuel", lines, contract.id)
        )
        database.close()
    return invoice


def test_an_individuals_invoice_prints_every_mention(app, client, auth, tmp_path):
    invoice = _issue(app, "C0001")
    auth.boater("C0001")
    text = pdf_text(client.get(f"/account/invoices/{invoice.id}/pdf").data, tmp_path)
    for mention in (
        f"Facture n° {invoice.number}",
        f"Date d'émission : {paris_today():%d/%m/%Y}",
        f"Période de la prestation : du 01/01/{YEAR} au 31/12/{YEAR}",
        f"Date d'échéance : {invoice.due_on:%d/%m/%Y}",
        "PORT SAINTE MARIE LA MER",
        "Régie municipale",
        "SIREN 732829320",
        "N° TVA intracommunautaire : FR44732829320",
        "Quai de la Capitainerie",
        "DUPONT JEAN",
        "10, RUE DU MARCHÉ",
        "Place annuelle B-12 1 1 266,67 € 20 % 1 266,67 €",
        "Électricité 312,5 kWh 0,2316 € 5,5 % 72,38 €",
        "Total HT 1 339,05 €",
        "TVA 20 % sur 1 266,67 € HT 253,33 €",
        "TVA 5,5 % sur 72,38 € HT 3,98 €",
        "Total TVA 257,31 €",
        "Total TTC 1 596,36 €",
        "Conditions de paiement",
        "Escompte pour paiement anticipé : néant.",
    ):
        assert mention in text, mention
    assert "40 €" not in text and "Pénalités de retard" not in text  # owed by businesses only


def test_a_business_invoice_adds_the_buyers_identity_penalties_and_the_40_euro_indemnity(app, client, auth, tmp_path):
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        customer.kind, customer.company_name = "business", "VOILES DUPONT SARL"
        customer.siren, customer.vat_number = "552100554", "FR96552100554"
        customer.save()
    invoice = _issue(app, "C0001", regime="debits")
    auth.boater("C0001")
    text = pdf_text(client.get(f"/account/invoices/{invoice.id}/pdf").data, tmp_path)
    for mention in (
        "VOILES DUPONT SARL",
        "SIREN 552100554",
        "N° TVA intracommunautaire : FR96552100554",
        "Pénalités de retard : taux de la Banque centrale européenne",
        "majoré de 10 points",
        "Indemnité forfaitaire pour frais de recouvrement due en cas de retard de paiement : 40 €",
        "Option pour le paiement de la taxe d'après les débits.",
    ):
        assert mention in text, mention


@pytest.mark.parametrize(
    "regime, mention",
    [("franchise", "TVA non applicable, article 293 B du CGI."), ("not_subject", "article 256 B du CGI")],
)
def test_a_port_outside_vat_says_so_and_charges_none(app, client, auth, tmp_path, regime, mention):
    invoice = _issue(app, "C0001", regime=regime)
    with app.app_context():
        assert Invoice.get_by_id(invoice.id).total_cents == 126667 + 7238
        with pytest.raises(invoicing.Refused, match="0 % de TVA"):
            invoicing.create_draft(None, Customer.get(Customer.code == "C0001"), "x", [invoicing.Line("a", 1000, 100)])
    auth.boater("C0001")
    text = pdf_text(client.get(f"/account/invoices/{invoice.id}/pdf").data, tmp_path)
    assert mention in text and "Total TTC 1 339,05 €" in text


def test_a_boater_never_sees_a_draft(app, client, auth):
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        draft = invoicing.create_draft(None, customer, "Brouillon", [invoicing.Line("Grutage", 1000, 15000)])
    auth.boater("C0001")
    assert client.get(f"/account/invoices/{draft.id}/pdf").status_code == 404
    assert client.get(f"/payment/invoices/{draft.id}").status_code == 404
    assert "Brouillon" not in client.get("/account/").get_data(as_text=True)
