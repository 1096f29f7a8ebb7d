"""Factur-X EN 16931: every issued invoice and credit note a boater or the office downloads carries its CII XML,
valid against the XSD and the official Schematron, in a PDF/A-3 file."""

import datetime as dt
import io

import pikepdf
import pytest
from conftest import run_schematron
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree

from marina_portal.billing import credit_notes, invoicing, statement
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Absence, Contract, Customer, Invoice, Port
from marina_portal.port_life import absences

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
TODAY = paris_today()
YEAR = TODAY.year
Line = invoicing.Line


SIREN, VAT_NUMBER = "732829320", "FR44732829320"


@pytest.fixture(autouse=True)
def legal_identity(app):
    """The port has entered its SIREN and VAT number in Paramètres: it may issue, and its e-invoices are valid."""
    with app.app_context():
        Port.update(siren=SIREN, vat_number=VAT_NUMBER).execute()
        database.close()


def attached_xml(pdf):
    name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml" and xml, "no Factur-X XML in the PDF"
    return xml


def assert_valid(tmp_path, *xmls):
    """XSD of the Factur-X EN 16931 profile (CII D16B), then the official Schematron: zero fatal assertion."""
    paths = []
    for n, xml in enumerate(xmls):
        assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
        path = tmp_path / f"document-{n}.xml"
        path.write_bytes(xml)
        paths.append(path)
    fatal, report = run_schematron(paths)
    assert fatal == 0, report


def values(xml, path):
    return [node.text for node in etree.fromstring(xml).xpath(path, namespaces=NS)]


def assert_pdf_a3_with_attachment(pdf):
    with pikepdf.open(io.BytesIO(pdf)) as document:
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            assert (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) == ("3", "B")
            fx = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
            assert xmp.get(fx + "DocumentFileName") == "factur-x.xml"
            assert xmp.get(fx + "ConformanceLevel") == "EN 16931"
        [spec] = list(document.Root.AF)
        assert str(spec.F) == "factur-x.xml" and str(spec.AFRelationship) == "/Data"
        assert str(spec.EF.F.Subtype) == "/text/xml"
        assert "/OutputIntents" in document.Root and "/ID" in document.trailer
        info = document.docinfo
        assert "/Producer" not in info and "/Keywords" not in info  # what the XMP does not say, Info does not
        for page in document.pages:
            for font in page.Resources.Font.values():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                assert "/FontFile2" in descendant.FontDescriptor, font.BaseFont


def invoice_pdf(app, invoice_id):
    with app.test_request_context():
        data = statement.invoice_pdf(invoice_id)
        database.close()
    return data


def new_invoice(app, number, lines, code="C0001", **extra):
    with app.test_request_context():
        customer = Customer.get(Customer.code == code)
        invoice = invoicing.create_invoice(
            None, customer, number, TODAY, TODAY + dt.timedelta(days=30), "Escale", lines, **extra
        )
        database.close()
    return invoice.id


def test_the_demo_invoices_downloaded_are_valid_factur_x_pdf_a_3(app, client, auth, tmp_path):
    auth.boater()
    with app.app_context():
        ids = [i.id for i in Invoice.select().join(Customer).where(Customer.code == "C0001")]
        database.close()
    xmls = []
    for invoice_id in ids:
        pdf = client.get(f"/account/invoices/{invoice_id}/pdf").data
        assert_pdf_a3_with_attachment(pdf)
        xmls.append(attached_xml(pdf))
    assert_valid(tmp_path, *xmls)
    first = xmls[0]
    assert values(first, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [SIREN]
    assert values(first, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [VAT_NUMBER]
    assert values(first, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["S1"]  # services
    assert values(first, "//ram:BuyerTradeParty/ram:Name") == ["DUPONT JEAN"]
    assert values(first, "//ram:DuePayableAmount") == ["850.00"] and values(first, "//ram:TotalPrepaidAmount") == [
        "670.00"
    ]
    # the service is rendered at the port, on the contract's berth, not at the boater's home
    assert values(first, "//ram:ShipToTradeParty/ram:Name") == ["PORT SAINTE MARIE LA MER — poste B-12"]
    assert values(first, "//ram:ShipToTradeParty//ram:PostcodeCode") == ["66000"]


def test_mixed_vat_rates_give_one_breakdown_per_rate(app, tmp_path):
    invoice_id = new_invoice(
        app,
        f"{YEAR}/09001",
        [
            Line("Nuitées d'escale", 3000, 2500, 1000, unit="nuit"),
            Line("Électricité", 125_500, vat_rate_bp=2000, unit_price_e4=2316, unit="kWh"),
            Line("Carburant", 1000, 10000, 550),
            Line("Taxe de séjour", 2000, 60, 0),
        ],
    )
    pdf = invoice_pdf(app, invoice_id)
    xml = attached_xml(pdf)
    assert_valid(tmp_path, xml)
    assert values(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent") == [
        "0.00",
        "5.50",
        "10.00",
        "20.00",
    ]
    assert values(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == [
        "E",
        "S",
        "S",
        "S",
    ]
    units = etree.fromstring(xml).xpath("//ram:BilledQuantity/@unitCode", namespaces=NS)
    assert units == ["DAY", "KWH", "C62", "C62"]
    assert values(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount")[1] == "0.2316"
    with app.app_context():
        total = Invoice.get_by_id(invoice_id).total_cents
        database.close()
    assert values(xml, "//ram:GrandTotalAmount") == [f"{total // 100}.{total % 100:02d}"]


def test_a_business_buyer_carries_its_siren_vat_number_and_the_penalty_notes(app, client, auth, tmp_path):
    with app.app_context():
        Customer.update(
            kind="business", company_name="NAUTIC SERVICES SARL", siren="552100554", vat_number="FR96552100554"
        ).where(Customer.code == "C0002").execute()
        database.close()
    invoice_id = new_invoice(app, f"{YEAR}/09002", [Line("Hivernage", 1000, 90000, 2000)], code="C0002")
    xml = attached_xml(invoice_pdf(app, invoice_id))
    assert_valid(tmp_path, xml)
    buyer = "//ram:BuyerTradeParty"
    assert values(xml, f"{buyer}/ram:Name") == ["NAUTIC SERVICES SARL"]
    assert values(xml, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID") == ["552100554"]
    scheme = etree.fromstring(xml).xpath(f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID/@schemeID", namespaces=NS)
    assert scheme == ["0002"]
    assert values(xml, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == ["FR96552100554"]
    assert values(xml, f"{buyer}/ram:URIUniversalCommunication/ram:URIID") == ["552100554"]
    codes = values(xml, "//ram:IncludedNote/ram:SubjectCode")
    assert {"AAB", "PMD", "PMT"} <= set(codes)


def test_a_credit_note_is_type_381_and_names_the_invoice_it_corrects(app, client, auth, tmp_path):
    with app.test_request_context():
        invoice = Invoice.get(Invoice.number == f"{YEAR}/02135")
        note = credit_notes.issue_credit_note(None, invoice, "Poste plus court que prévu", amount_cents=12000)
        database.close()
    auth.boater()
    pdf = client.get(f"/account/credit-notes/{note.id}/pdf").data
    assert_pdf_a3_with_attachment(pdf)
    xml = attached_xml(pdf)
    assert_valid(tmp_path, xml)
    assert values(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert values(xml, "//rsm:ExchangedDocument/ram:ID") == [note.number]
    assert values(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [f"{YEAR}/02135"]
    assert values(xml, "//ram:GrandTotalAmount") == ["120.00"]
    # the invoice keeps its own XML, the credit note being a document of its own
    assert values(attached_xml(invoice_pdf(app, invoice.id)), "//ram:TotalPrepaidAmount") == ["670.00"]


def test_an_invoice_paid_in_full_by_an_absence_credit_has_nothing_left_to_pay(app, tmp_path):
    with app.test_request_context():
        Port.update(absence_credit_mode="per_night", absence_credit_value=60000).execute()
        contract = Contract.select().join(Customer).where(Customer.code == "C0001").first()
        start = TODAY + dt.timedelta(days=2)
        absence = Absence.create(contract=contract, starts_on=start, ends_on=start + dt.timedelta(days=2))
        absences.record_letting(absence.id, start, start + dt.timedelta(days=1), 5000, None)
        database.close()
    invoice_id = new_invoice(app, f"{YEAR}/09003", [Line("Grutage", 1000, 25000, 2000)])
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.id == invoice_id).get()
        assert invoice.paid_cents == invoice.total_cents == 30000
        database.close()
    xml = attached_xml(invoice_pdf(app, invoice_id))
    assert_valid(tmp_path, xml)
    assert values(xml, "//ram:TotalPrepaidAmount") == ["300.00"] and values(xml, "//ram:DuePayableAmount") == ["0.00"]


@pytest.mark.parametrize(("regime", "code"), [("receipts", "72"), ("debits", "5")])
def test_vat_falls_due_on_payment_unless_the_port_opted_for_debits(app, tmp_path, regime, code):
    with app.app_context():
        Port.update(vat_regime=regime).execute()
        invoice_id = Invoice.get(Invoice.number == f"{YEAR}/02301").id
        database.close()
    xml = attached_xml(invoice_pdf(app, invoice_id))
    assert_valid(tmp_path, xml)
    assert set(values(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode")) == {
        code
    }
    coded = etree.fromstring(xml).xpath("//ram:IncludedNote[ram:SubjectCode]", namespaces=NS)
    notes = {
        note.findtext("ram:SubjectCode", namespaces=NS): note.findtext("ram:Content", namespaces=NS) for note in coded
    }
    if regime == "debits":
        assert notes["TXD"] == "Option pour le paiement de la taxe d'après les débits."
    else:
        assert "TXD" not in notes


def test_no_service_address_when_the_buyer_lives_at_the_port(app, tmp_path):
    with app.app_context():
        port = Port.get()
        Customer.update(street=port.street, postcode=port.postcode, town=port.town.lower()).where(
            Customer.code == "C0002"
        ).execute()
        invoice_id = Invoice.get(Invoice.number == f"{YEAR}/02301").id
        database.close()
    xml = attached_xml(invoice_pdf(app, invoice_id))
    assert_valid(tmp_path, xml)
    assert values(xml, "//ram:ShipToTradeParty/ram:Name") == []


def test_a_service_period_is_the_invoicing_period(app, tmp_path):
    invoice_id = new_invoice(
        app,
        f"{YEAR}/09004",
        [Line("Contrat mensuel", 1000, 40000, 2000)],
        service_from=dt.date(YEAR, 3, 1),
        service_to=dt.date(YEAR, 3, 31),
    )
    xml = attached_xml(invoice_pdf(app, invoice_id))
    assert_valid(tmp_path, xml)
    assert values(xml, "//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString") == [f"{YEAR}0301"]
    assert values(xml, "//ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString") == [f"{YEAR}0331"]


def test_drafts_and_invoices_imported_as_totals_carry_no_xml(app):
    with app.test_request_context():
        customer = Customer.get(Customer.code == "C0001")
        draft = invoicing.create_draft(None, customer, "Brouillon", [Line("Grutage", 1000, 25000, 2000)])
        imported = Invoice.create(
            port=customer.port_id, customer=customer, number=f"{YEAR}/00001", issued_on=TODAY, total_cents=12000
        )
        database.close()
    for invoice_id in (draft.id, imported.id):
        pdf = invoice_pdf(app, invoice_id)
        assert not get_xml_from_pdf(pdf, check_xsd=False)[1]
        with (
            pikepdf.open(io.BytesIO(pdf)) as document,
            document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp,
        ):
            assert xmp.get("pdfaid:part") == "3"


def test_the_factur_x_pdf_is_cached_by_content(app, monkeypatch):
    from marina_portal.billing import einvoice

    attached = []
    real = einvoice.attach
    monkeypatch.setattr(einvoice, "attach", lambda *args: attached.append(1) or real(*args))
    with app.app_context():
        invoice_id = Invoice.get(Invoice.number == f"{YEAR}/02301").id
        database.close()
    first = invoice_pdf(app, invoice_id)
    assert invoice_pdf(app, invoice_id) == first and len(attached) == 1
    with app.app_context():
        Customer.update(kind="business", siren="552100554").where(Customer.code == "C0002").execute()
        database.close()
    xml = attached_xml(invoice_pdf(app, invoice_id))
    assert len(attached) == 2 and values(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
        "552100554"
    ]


@pytest.mark.parametrize(
    ("regime", "vat_number", "category", "reason_code"),
    [
        ("franchise", "", "E", "VATEX-FR-FRANCHISE"),
        ("franchise", VAT_NUMBER, "E", "VATEX-FR-FRANCHISE"),
        ("not_subject", VAT_NUMBER, "O", "VATEX-EU-O"),
    ],
)
def test_a_port_outside_vat_issues_valid_e_invoices(app, tmp_path, regime, vat_number, category, reason_code):
    with app.app_context():
        Port.update(vat_regime=regime, vat_number=vat_number).execute()
        database.close()
    invoice_id = new_invoice(app, f"{YEAR}/09005", [Line("Grutage", 1000, 25000, 0), Line("Nuitée", 2000, 3000, 0)])
    xml = attached_xml(invoice_pdf(app, invoice_id))
    assert_valid(tmp_path, xml)
    settlement = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert values(xml, f"{settlement}/ram:CategoryCode") == [category]
    assert values(xml, f"{settlement}/ram:ExemptionReasonCode") == [reason_code]
    assert values(xml, "//ram:TaxTotalAmount") == ["0.00"]
    seller_ids = values(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID")
    if regime == "not_subject":
        assert seller_ids == [] and values(xml, f"{settlement}/ram:RateApplicablePercent") == []
    else:
        assert seller_ids == [vat_number or SIREN]  # without a VAT number, the SIREN as tax registration (FC)


def test_no_xml_until_the_port_has_entered_its_legal_identity(app):
    with app.app_context():
        Port.update(siren="", vat_number="").execute()
        invoice_id = Invoice.get(Invoice.number == f"{YEAR}/02301").id
        database.close()
    without = invoice_pdf(app, invoice_id)
    assert not get_xml_from_pdf(without, check_xsd=False)[1]  # an XML without the seller's VAT number: invalid
    with app.app_context():
        Port.update(siren=SIREN, vat_number=VAT_NUMBER).execute()
        database.close()
    assert values(attached_xml(invoice_pdf(app, invoice_id)), "//rsm:ExchangedDocument/ram:ID") == [f"{YEAR}/02301"]
