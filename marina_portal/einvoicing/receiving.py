"""Suppliers' Factur-X invoices received through the channel's incoming folder: kept as they came, read with the
factur-x library to show seller, number, date and total. Read-only: no purchase ledger."""

import datetime as dt
import decimal
import logging

from marina_portal import einvoicing
from marina_portal.core import storage
from marina_portal.einvoicing.channel import ChannelError
from marina_portal.models import IncomingInvoice, Port

log = logging.getLogger(__name__)
AREA = "einvoicing-in"


def _cents(text):
    try:
        return int((decimal.Decimal(str(text)) * 100).quantize(decimal.Decimal(1), decimal.ROUND_HALF_UP))
    except (decimal.InvalidOperation, TypeError, ValueError):
        return None


def read_facturx(data):
    """What the PDF's Factur-X XML says: a dict (seller, seller_siren, buyer_ids, number, issued_on, total_cents,
    currency), or a French problem (a str) when it carries none or an unreadable one."""
    import facturx  # heavy: only when an invoice comes in

    try:
        _name, xml = facturx.get_xml_from_pdf(data, check_xsd=False)
    except Exception:  # the library raises bare exceptions on a damaged PDF
        log.info("incoming PDF unreadable", exc_info=True)
        return "PDF illisible."
    if not xml:
        return "Ce PDF ne contient pas de facture Factur-X."
    try:
        fields = facturx.parse_ubl_cii_xml(xml, check_xsd=False)
    except Exception:
        log.info("incoming Factur-X XML unreadable", exc_info=True)
        return "XML Factur-X illisible."
    seller, buyer = fields.get("BG-4") or {}, fields.get("BG-7") or {}
    issued_on = fields.get("BT-2")
    return {
        "seller": str(seller.get("name") or "")[:200],
        "seller_siren": str(seller.get("legal_identifier") or "")[:20],
        "buyer_ids": {str(buyer.get(k) or "").replace(" ", "") for k in ("legal_identifier", "vat_identifier")},
        "number": str(fields.get("BT-1") or "")[:100],
        "issued_on": issued_on if isinstance(issued_on, dt.date) else None,
        "total_cents": _cents(fields.get("BT-112")),
        "currency": str(fields.get("BT-5") or "EUR")[:3],
    }


def _port_for(buyer_ids):
    """The port the invoice is addressed to (its SIREN, SIRET or VAT number), else the first port."""
    for port in Port.select().order_by(Port.id):
        if {port.siren, port.siret, port.vat_number.replace(" ", "")} & (buyer_ids - {""}):
            return port
    return Port.current()


def keep(name, data):
    """Keep one received PDF (once, whatever how often it comes) and record what it says; the row."""
    read = read_facturx(data)
    port = _port_for(read["buyer_ids"]) if isinstance(read, dict) else Port.current()
    path, digest = storage.keep(AREA, data, ".pdf")
    existing = IncomingInvoice.get_or_none((IncomingInvoice.port == port) & (IncomingInvoice.sha256 == digest))
    if existing is not None:
        return existing
    if isinstance(read, str):
        return IncomingInvoice.create(port=port, file_name=name[:200], path=path, sha256=digest, problem=read)
    read.pop("buyer_ids")
    return IncomingInvoice.create(port=port, file_name=name[:200], path=path, sha256=digest, **read)


def collect():
    """Take every supplier's file waiting in the business channel; (number kept, [French problems])."""
    try:
        channel = einvoicing.business_channel()
        arrivals = channel.arrivals()
    except (ChannelError, OSError) as e:
        return 0, [str(e)]
    for arrival in arrivals:
        keep(arrival.name, arrival.data)
        channel.done(arrival)
    return len(arrivals), []


def received(port):
    return list(
        IncomingInvoice.select()
        .where(IncomingInvoice.port == port)
        .order_by(IncomingInvoice.received_at.desc(), IncomingInvoice.id.desc())
    )


def pdf_of(incoming):
    return storage.read_bytes(incoming.path)
