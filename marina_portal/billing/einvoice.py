"""Factur-X, profile EN 16931: the CII XML of an issued invoice or credit note, attached to its PDF/A-3.

The XML is built with the factur-x library from a dict keyed by the standard's business terms (BT-n, BG-n),
so each figure below names the term it fills. French rules of the 2026–2027 reform carried here:
- the seller's SIREN (BT-30, scheme 0002) and VAT number (BT-31); a business buyer's SIREN (BT-47) and VAT
  number (BT-48); SIREN-based electronic addresses (BT-34, BT-49, scheme 0225), else the email (EM);
- the category of the operation, services (BT-23 "S1": « prestations de services »);
- when VAT falls due (BT-8): on the invoice date for a port that opted for VAT on debits, on payment otherwise;
- the service address (BG-13, BG-15: the port and the berth) when it differs from the buyer's address;
- the mentions French law asks as notes (BG-1): VAT regime (TXD), no discount (AAB), and for businesses the
  late-payment penalties (PMD) and the 40 € indemnity (PMT); a credit note names its invoice (BG-3, type 381).

Amounts are the ones the PDF prints (sums of the lines' own HT and VAT), never recomputed with floats.
Invoices without lines (totals imported from a previous system), drafts, and the documents of a port whose
legal identity is not complete in Paramètres (no SIREN, or no VAT number while it charges VAT) get no XML:
their VAT breakdown is unknown, they are not issued yet, or the XML could not be a valid e-invoice.
`pdf_finish` gives core.pdf what it needs to cache the result by content; factur-x and lxml are imported
only when an XML is made.
"""

import copy
import functools
import hashlib
import io
import json
import re
from importlib.metadata import version

from marina_portal.billing import legal, schedules
from marina_portal.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceStatus, Payment

PROFILE = "en16931"
INVOICE, CREDIT_NOTE = "380", "381"  # UNTDID 1001
SERVICES = "S1"  # the French billing framework code: an invoice for services
SIREN_SCHEME, EADDRESS_SIREN, EADDRESS_EMAIL = "0002", "0225", "EM"
PAYMENT_NOT_IN_PREPAID = ("credit",)  # a credit note is a document of its own, not money received
UNITS = {  # UN/ECE recommendation 20 codes for the units staff type on a line
    "": "C62",
    "nuit": "DAY",
    "nuits": "DAY",
    "jour": "DAY",
    "jours": "DAY",
    "mois": "MON",
    "an": "ANN",
    "année": "ANN",
    "kwh": "KWH",
    "m3": "MTQ",
    "m³": "MTQ",
    "m": "MTR",
    "ml": "MTR",
    "h": "HUR",
    "heure": "HUR",
    "heures": "HUR",
}
NOT_SUBJECT_REASON = "Non soumis à la TVA, article 256 B du CGI"
FRANCHISE_REASON = "TVA non applicable, article 293 B du CGI"
EXEMPT_REASON = "Exonération de TVA"


def money(cents):
    """Cents as the XML writes amounts: "1520.00", "-3.05"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _fixed(value, places):
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(value), 10**places)
    return f"{sign}{whole}.{part:0{places}d}"


def _country(code):
    code = (code or "").strip().upper()
    return code if len(code) == 2 and code.isalpha() else "FR"


def _address(street, postcode, town, country):
    return {
        key: value
        for key, value in (
            ("addr_l1", (street or "").strip()),
            ("postcode", (postcode or "").strip()),
            ("city", (town or "").strip()),
            ("country_code", _country(country)),
        )
        if value
    }


def seller(port):
    """BG-4: the port's legal identity (Paramètres), address and contact."""
    party = {"name": legal.seller_name(port), **_address(port.street, port.postcode, port.town, port.country)}
    if legal.seller_name(port) != port.name:
        party["biz_name"] = port.name
    # SIREN and, when VAT is charged, VAT number: invoice_data gives no XML for a port without them
    party.update(legal_identifier=port.siren, legal_identifier_schemeid=SIREN_SCHEME)
    party.update(einvoicing_addr=port.siren, einvoicing_addr_schemeid=EADDRESS_SIREN)
    if port.vat_number and port.vat_regime != "not_subject":  # outside VAT, no VAT number may show (BR-O-02)
        party["vat_identifier"] = port.vat_number
    elif port.vat_regime == "franchise":
        party["tax_identifier"] = port.siren  # BT-32: an exempt seller without VAT number is known by it (BR-E-02)
    if port.phone or port.email:
        party["contacts"] = [{k: v for k, v in (("phone", port.phone), ("email", port.email)) if v}]
    return party


def buyer(customer):
    """BG-7: the boater, or the business with its SIREN and VAT number."""
    party = {
        "name": customer.billing_name,
        **_address(customer.street, customer.postcode, customer.town, customer.country),
    }
    if customer.is_business and customer.siren:
        party.update(legal_identifier=customer.siren, legal_identifier_schemeid=SIREN_SCHEME)
        party.update(einvoicing_addr=customer.siren, einvoicing_addr_schemeid=EADDRESS_SIREN)
    elif customer.billing_email or customer.email:
        party.update(einvoicing_addr=customer.billing_email or customer.email, einvoicing_addr_schemeid=EADDRESS_EMAIL)
    if customer.is_business and customer.vat_number:
        party["vat_identifier"] = customer.vat_number
    return party


def service_place(port, customer, berth=None):
    """BG-13: where the service is rendered — the port (and the berth) — when it is not the buyer's address."""
    place = _address(port.street, port.postcode, port.town, port.country)
    home = _address(customer.street, customer.postcode, customer.town, customer.country)
    if {k: v.casefold() for k, v in place.items()} == {k: v.casefold() for k, v in home.items()}:
        return None
    name = port.name + (f" — poste {berth.code}" if berth is not None else "")
    return {"name": name, **place}


def _category(port, rate_bp):
    """(BT-151/BT-118 VAT category, exemption reason) of a line at this rate, under the port's VAT regime."""
    if port.vat_regime == "not_subject":
        return "O", NOT_SUBJECT_REASON
    if port.vat_regime == "franchise":
        return "E", FRANCHISE_REASON
    return ("S", None) if rate_bp > 0 else ("E", EXEMPT_REASON)


def _lines(port, lines):
    """BG-25, one per line; BG-23, the VAT breakdown per category and rate from the lines' own VAT; its total."""
    items, breakdown = [], {}
    for position, line in enumerate(lines, start=1):
        category, reason = _category(port, line.vat_rate_bp)
        rate = line.vat_rate_bp if category == "S" else 0
        items.append(
            {
                "BT-126": str(position),
                "BT-153": line.description[:200] or "Prestation",
                "BT-129": _fixed(line.quantity_milli, 3),
                "BT-130": UNITS.get((line.unit or "").strip().casefold(), "C62"),
                "BT-146": _fixed(line.price_e4, 4),
                "BT-131": money(line.total_ht_cents),
                "BT-151": category,
            }
        )
        if category != "O":  # outside the scope of VAT, a line carries no rate (BR-O-05)
            items[-1]["BT-152"] = _fixed(rate, 2)
        entry = breakdown.setdefault((category, rate), {"ht": 0, "vat": 0, "reason": reason})
        entry["ht"] += line.total_ht_cents
        entry["vat"] += line.total_vat_cents if category == "S" else 0
    vat = []
    for (category, rate), entry in sorted(breakdown.items()):
        row = {
            "BT-116": money(entry["ht"]),
            "BT-117": money(entry["vat"]),
            "BT-118": category,
        }
        if category != "O":
            row["BT-119"] = _fixed(rate, 2)
        if entry["reason"]:
            row["BT-120"] = entry["reason"]
        if category == "O":
            row["BT-121"] = "VATEX-EU-O"
        elif category == "E" and port.vat_regime == "franchise":
            row["BT-121"] = "VATEX-FR-FRANCHISE"
        vat.append(row)
    return items, vat, sum(entry["vat"] for entry in breakdown.values())


def _notes(port, customer, label=""):
    notes = [{"BT-22": label}] if label else []
    mention = legal.vat_mention(port)
    if mention:
        notes.append({"BT-21": "TXD", "BT-22": mention})
    notes.append({"BT-21": "AAB", "BT-22": legal.NO_DISCOUNT})
    if customer.is_business:
        notes.append(
            {"BT-21": "PMD", "BT-22": f"Pénalités de retard : {port.late_penalty or legal.DEFAULT_LATE_PENALTY}."}
        )
        notes.append({"BT-21": "PMT", "BT-22": legal.RECOVERY_INDEMNITY})
    return notes


def _document(kind, number, issued_on, port, customer, lines, paid_cents, label, berth=None):
    """The parts common to an invoice and a credit note."""
    items, vat, tax = _lines(port, lines)
    ht = sum(line.total_ht_cents for line in lines)
    data = {
        "BT-1": number,
        "BT-2": issued_on,
        "BT-3": kind,
        "BT-5": "EUR",
        "BT-23": SERVICES,
        "BT-8": "invoice" if port.vat_regime == "debits" else "payment",
        "BG-1": _notes(port, customer, label),
        "BG-4": seller(port),
        "BG-7": buyer(customer),
        "BG-23": vat,
        "BG-25": items,
        "BT-106": money(ht),
        "BT-109": money(ht),
        "BT-110": money(tax),
        "BT-112": money(ht + tax),
        "BT-113": money(paid_cents),
        "BT-115": money(ht + tax - paid_cents),
    }
    if not legal.charges_vat(port):
        data.pop("BT-8")
    place = service_place(port, customer, berth)
    if place:
        data["BG-13"] = place
    if port.iban:
        data.update({"BT-81": "58", "BT-84": port.iban.replace(" ", "")})
        if port.bic:
            data["BT-86"] = port.bic
    return data


def why_no_xml(port, has_lines):
    """Why a document of `port` carries no Factur-X XML (French words), or "" when it does: the seller's legal
    identity must be complete and the document must have lines (an invoice imported as totals has none)."""
    missing = legal.missing_identity(port)
    if missing:
        return (
            f"Sans Factur-X : l'identité légale du port est incomplète (manque {', '.join(missing)}) ; "
            "complétez-la dans Paramètres."
        )
    if not has_lines:
        return (
            "Sans Factur-X : document importé en totaux, sans lignes ni ventilation de TVA ; "
            "à transmettre par un autre moyen."
        )
    return ""


def invoice_data(invoice, lines, payments):
    """The business terms of an issued invoice; None for a draft, an invoice without lines, or a port without
    its legal identity."""
    port, customer = invoice.port, invoice.customer
    if invoice.is_draft or why_no_xml(port, bool(lines)):
        return None
    paid = sum(p.amount_cents for p in payments if p.method not in PAYMENT_NOT_IN_PREPAID)
    contract = invoice.contract if invoice.contract_id else None
    data = _document(
        INVOICE,
        invoice.number,
        invoice.issued_on,
        port,
        customer,
        lines,
        paid,
        invoice.label,
        berth=contract.berth if contract is not None and contract.berth_id else None,
    )
    data["BT-9"] = invoice.due_on
    data["BT-20"] = f"Conditions de paiement : {port.payment_terms or legal.DEFAULT_PAYMENT_TERMS}."
    if schedules.in_instalments(invoice):
        data["BT-20"] += " " + schedules.payment_terms(invoice)
    if contract is not None:
        data["BT-12"] = contract.number
    _service_dates(data, invoice.service_from, invoice.service_to, invoice.issued_on)
    return {k: v for k, v in data.items() if v not in (None, "", [])}


def credit_note_data(note, lines):
    """The business terms of a credit note: type 381, the invoice it corrects (BG-3), nothing left to pay."""
    if why_no_xml(note.port, bool(lines)):
        return None
    invoice = note.invoice
    data = _document(
        CREDIT_NOTE, note.number, note.issued_on, note.port, note.customer, lines, 0, f"Motif : {note.reason}"
    )
    data["BT-115"] = data["BT-112"]  # settled against the invoice it corrects, by that invoice's balance
    data["BG-3"] = [{"BT-25": invoice.number, "BT-26": invoice.issued_on}]
    data["BT-20"] = f"Avoir déduit du solde de la facture n° {invoice.number}."
    _service_dates(data, invoice.service_from, invoice.service_to, invoice.issued_on)
    return data


def _service_dates(data, service_from, service_to, issued_on):
    if service_from and service_to and service_to != service_from:
        data["BT-73"], data["BT-74"] = service_from, service_to
    else:
        data["BT-72"] = service_from or issued_on


def cii_xml(data):
    """The CII XML (bytes) of a dict from invoice_data or credit_note_data."""
    from facturx import generate_cii_xml

    # generate_cii_xml rewrites the dict it is given: ours stays as it was (it is the cache key too). Text typed
    # by anyone (a label, a name) may hold control characters XML cannot carry: they are dropped, not a 500.
    return generate_cii_xml(_xml_safe(copy.deepcopy(data)), level=PROFILE, check_xsd=False, check_schematron=False)


_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(value):
    """The same data with every string cleaned of the characters XML 1.0 forbids."""
    if isinstance(value, str):
        return _NOT_IN_XML.sub("", value)
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_xml_safe(item) for item in value)
    return value


def attach(pdf, xml, title, author):
    """The PDF/A-3 with `xml` embedded as factur-x.xml (AFRelationship Data) and the Factur-X XMP."""
    from facturx import generate_from_binary

    attached = generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=PROFILE,
        check_xsd=False,
        pdf_metadata={"author": author, "title": title, "subject": title},
        lang="fr-FR",
    )
    return _info_as_xmp(attached)


def _info_as_xmp(pdf):
    """PDF/A wants the document information to say what the XMP says: factur-x writes an XMP naming pypdf as
    producer and no keywords, while the Info keeps WeasyPrint's producer and gets empty keywords. Drop those two."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.pdf_header = "%PDF-1.7"  # what WeasyPrint wrote for PDF/A-3
    writer.metadata = {k: v for k, v in (writer.metadata or {}).items() if k not in ("/Producer", "/Keywords")}
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_finish(data, title, author):
    """For core.pdf.render_pdf_cached: (digest of what is attached, the step that attaches it), or None."""
    if data is None:
        return None
    key = hashlib.sha256(json.dumps(data, default=str, sort_keys=True).encode()).hexdigest()

    def finish(pdf):
        return attach(pdf, cii_xml(data), title, author)

    return f"factur-x|{_library_version()}|{key}", finish


@functools.cache
def _library_version():
    return version("factur-x")


def issued_documents(limit=None):
    """(label, data) of every issued invoice with lines (the first `limit` of them, when given) and every credit
    note: for a check over a whole ledger."""
    with_lines = InvoiceLine.select(InvoiceLine.invoice).distinct()
    issued = Invoice.select().where((Invoice.status == InvoiceStatus.ISSUED) & Invoice.id.in_(with_lines))
    for invoice in issued.order_by(Invoice.id).limit(limit):
        lines = list(invoice.lines.order_by(InvoiceLine.position, InvoiceLine.id))
        payments = list(invoice.payments.where(Payment.cancelled_at.is_null()))
        yield f"invoice {invoice.number}", invoice_data(invoice, lines, payments)
    for note in CreditNote.select():
        yield f"credit note {note.number}", credit_note_data(note, list(note.lines.order_by(CreditNoteLine.position)))
