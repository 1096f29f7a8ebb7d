"""Handing issued invoices and credit notes to their channel, and following each one's lifecycle status.

A business customer's documents go through EINVOICING_CHANNEL, a public buyer's through EINVOICING_PUBLIC_CHANNEL.
The status moves forward only: déposée, then reçue, then encaissée; rejetée (with the platform's reason) ends it:
the invoice is then corrected by a credit note. Every change is one EinvoiceEvent, the history staff see.
"""

import datetime as dt
import re

from peewee import JOIN
from stdnum.fr import siret as siret_number

from marina_portal import einvoicing
from marina_portal.billing import statement
from marina_portal.billing.einvoice import why_no_xml
from marina_portal.core.db import database
from marina_portal.core.refusals import Refusal
from marina_portal.einvoicing import platform_sandbox, sandbox
from marina_portal.einvoicing.channel import KNOWN_STATUSES, ChannelError, Outgoing
from marina_portal.models import (
    CreditNote,
    CreditNoteLine,
    Customer,
    EinvoiceEvent,
    EinvoiceStatus,
    EinvoiceSubmission,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PublicBuyer,
    utcnow,
)

RANK = {
    EinvoiceStatus.DEPOSITED: 0,
    EinvoiceStatus.RECEIVED: 1,
    EinvoiceStatus.COLLECTED: 2,
    EinvoiceStatus.REJECTED: 2,
}
FINAL = {EinvoiceStatus.COLLECTED, EinvoiceStatus.REJECTED}


class Refused(Refusal):
    """What staff asked cannot be done; the message says why, in French."""


def month_bounds(text):
    """(first day, last day) of « AAAA-MM »; Refused with a French message otherwise."""
    found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "")
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise Refused("Indiquez le mois au format AAAA-MM, par exemple 2027-01.")
    start = dt.date(int(found.group(1)), int(found.group(2)), 1)
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def file_name_of(port, kind, number):
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in number)
    return f"{port.code}_{'avoir' if kind == 'credit_note' else 'facture'}_{safe}"


def buyer_of(customer, public):
    buyer = {"name": customer.billing_name, "siren": customer.siren, "vat_number": customer.vat_number}
    if public is not None:
        buyer.update(siret=public.siret, service_code=public.service_code, engagement=public.engagement)
    return buyer


def public_buyer(customer):
    return PublicBuyer.get_or_none(PublicBuyer.customer == customer)


def save_public_buyer(customer, siret, service_code="", engagement=""):
    """Record the customer as a public buyer invoiced through Chorus Pro; an empty SIRET removes it.
    Returns the row (None once removed); Refused with a French message for a bad SIRET or a field too long."""
    siret = re.sub(r"[\s.]", "", siret or "")
    service_code, engagement = (service_code or "").strip(), (engagement or "").strip()
    if not siret:
        PublicBuyer.delete().where(PublicBuyer.customer == customer).execute()
        return None
    if not siret_number.is_valid(siret):
        raise Refused("Le SIRET doit compter 14 chiffres et être valide, par exemple 732 829 320 00074.")
    if len(service_code) > 100:
        raise Refused("Le code service compte au plus 100 caractères.")
    if len(engagement) > 50:
        raise Refused("Le numéro d'engagement compte au plus 50 caractères.")
    row = public_buyer(customer) or PublicBuyer(customer=customer)
    row.siret, row.service_code, row.engagement = siret, service_code, engagement
    row.save()
    return row


def _outgoing(port, document, kind, public):
    if kind == "credit_note":
        pdf = statement.credit_note_pdf(document.id)
    else:
        pdf = statement.invoice_pdf(document.id)
    return Outgoing(
        file_name=file_name_of(port, kind, document.number),
        pdf=pdf,
        kind=kind,
        number=document.number,
        issued_on=document.issued_on,
        total_cents=document.total_cents,
        seller_siret=port.siret,
        buyer=buyer_of(document.customer, public),
    )


def _with_lines(kind, ids):
    """The ids among `ids` of invoices (or credit notes) that have lines: one query."""
    line, parent = (
        (CreditNoteLine, CreditNoteLine.credit_note) if kind == "credit_note" else (InvoiceLine, InvoiceLine.invoice)
    )
    return {i for (i,) in line.select(parent).where(parent.in_(list(ids))).distinct().tuples()} if ids else set()


def not_an_einvoice(port, document, kind):
    """Why the document's PDF would carry no Factur-X XML (einvoice.why_no_xml), or "" when it does: a platform
    takes only e-invoices, so such a document is held back and listed for staff rather than deposited."""
    return why_no_xml(port, document.id in _with_lines(kind, [document.id]))


def held_back(port, month):
    """The month's business documents not sent because they cannot be e-invoices: [(kind, document, reason)],
    in three queries whatever their number."""
    start, end = month_bounds(month)
    found = []
    for kind, documents in zip(("invoice", "credit_note"), to_send(port, start, end)):
        documents = list(documents)
        with_lines = _with_lines(kind, [d.id for d in documents])
        found += [(kind, d, why_no_xml(port, d.id in with_lines)) for d in documents]
    return [row for row in found if row[2]]


def send(port, document, user=None):
    """Hand one issued invoice or credit note to its channel; the new submission, status « déposée ».

    The row and the file go together: a deposit that fails leaves no row, and the same document is never
    deposited twice (Refused)."""
    kind = "credit_note" if isinstance(document, CreditNote) else "invoice"
    if document.port_id != port.id:
        raise Refused("Ce document n'est pas celui du port.")
    if kind == "invoice" and document.is_draft:
        raise Refused("Un brouillon ne s'envoie pas : émettez d'abord la facture.")
    column = EinvoiceSubmission.credit_note if kind == "credit_note" else EinvoiceSubmission.invoice
    if EinvoiceSubmission.select().where(column == document.id).exists():
        raise Refused(f"{document.number} a déjà été transmis.")
    reason = not_an_einvoice(port, document, kind)
    if reason:
        raise Refused(reason)
    public = public_buyer(document.customer)
    try:
        channel = einvoicing.public_channel() if public is not None else einvoicing.business_channel()
    except ChannelError as e:
        raise Refused(str(e)) from None
    outgoing = _outgoing(port, document, kind, public)
    with database.atomic():
        submission = EinvoiceSubmission.create(
            port=port,
            invoice=document if kind == "invoice" else None,
            credit_note=document if kind == "credit_note" else None,
            channel=channel.name,
            file_name=outgoing.file_name,
            created_by=user,
        )
        EinvoiceEvent.create(submission=submission, status=EinvoiceStatus.DEPOSITED, source="portail")
        try:
            channel.deposit(outgoing)
        except (ChannelError, OSError) as e:
            raise Refused(str(e)) from None
    return submission


def to_send(port, start, end):
    """The month's issued documents of business customers and public buyers not yet handed over:
    (invoices, credit notes), oldest first."""
    business = (Customer.kind == "business") | PublicBuyer.id.is_null(False)
    invoices = (
        Invoice.select(Invoice, Customer)
        .join(Customer)
        .join(PublicBuyer, JOIN.LEFT_OUTER, on=(PublicBuyer.customer == Customer.id))
        .switch(Invoice)
        .join(EinvoiceSubmission, JOIN.LEFT_OUTER, on=(EinvoiceSubmission.invoice == Invoice.id))
        .where(
            (Invoice.port == port)
            & (Invoice.status == InvoiceStatus.ISSUED)
            & (Invoice.number != "")
            & Invoice.issued_on.between(start, end)
            & business
            & EinvoiceSubmission.id.is_null()
        )
        .order_by(Invoice.issued_on, Invoice.number)
    )
    notes = (
        CreditNote.select(CreditNote, Customer)
        .join(Customer)
        .join(PublicBuyer, JOIN.LEFT_OUTER, on=(PublicBuyer.customer == Customer.id))
        .switch(CreditNote)
        .join(EinvoiceSubmission, JOIN.LEFT_OUTER, on=(EinvoiceSubmission.credit_note == CreditNote.id))
        .where(
            (CreditNote.port == port)
            & CreditNote.issued_on.between(start, end)
            & business
            & EinvoiceSubmission.id.is_null()
        )
        .order_by(CreditNote.issued_on, CreditNote.number)
    )
    return list(invoices), list(notes)


def send_month(port, month, user=None):
    """Hand over the month's business invoices and credit notes; ([submissions], [French problems])."""
    start, end = month_bounds(month)
    invoices, notes = to_send(port, start, end)
    sent, problems = [], []
    for document in [*invoices, *notes]:
        try:
            sent.append(send(port, document, user))
        except Refused as refusal:
            problems.append(f"{document.number} : {refusal}")
    return sent, problems


def record(submission, status, reason="", at=None, source=""):
    """Move the submission to `status` when that is forward; True when it moved (one event more)."""
    if status not in KNOWN_STATUSES:
        raise ValueError(status)
    current = submission.status
    if status == current or current in FINAL or RANK[status] < RANK[current]:
        return False
    with database.atomic():
        submission.status, submission.reason, submission.updated_at = status, reason, utcnow()
        submission.save()
        EinvoiceEvent.create(submission=submission, status=status, reason=reason, at=at or utcnow(), source=source)
    return True


def read_back():
    """Read every channel's acknowledgements and apply them, then report the invoices paid in full.

    The folders are the installation's, shared by its ports: each answer finds its submission by file name.
    Returns (number of statuses changed, [French problems])."""
    changed, problems = 0, []
    try:
        channels = einvoicing.configured_channels()
    except ChannelError as e:
        return 0, [str(e)]
    for name, channel in channels.items():
        try:
            if name == "chorus-pro" and einvoicing.chorus_sandbox():
                sandbox.collect(channel.folder)
            if name == "file-drop" and einvoicing.platform_sandbox_on():
                platform_sandbox.collect(channel.folder)
            acks, unreadable = channel.acknowledgements()
        except (ChannelError, OSError) as e:
            problems.append(str(e))
            continue
        problems += [f"{p.source} : {p.message}" for p in unreadable]
        for ack in acks:
            submission = EinvoiceSubmission.get_or_none(EinvoiceSubmission.file_name == ack.file_name)
            if submission is None:
                problems.append(f"{ack.source} : aucun document déposé sous le nom {ack.file_name}.pdf")
            elif record(submission, ack.status, ack.reason, ack.at, ack.source):
                changed += 1
    return changed + report_collected(), problems


def report_collected():
    """Invoices received by their buyer and now paid in full become « encaissée » and the platform is told."""
    paid = (
        EinvoiceSubmission.select(EinvoiceSubmission, Invoice)
        .join(Invoice, on=(EinvoiceSubmission.invoice == Invoice.id))
        .where(EinvoiceSubmission.status == EinvoiceStatus.RECEIVED)
    )
    changed = 0
    for submission in paid:
        invoice = statement.invoice_with_paid(submission.invoice_id)
        if invoice.balance_cents > 0:
            continue
        channel = einvoicing.channel_named(submission.channel)
        channel.report_collected(submission.file_name, utcnow().date(), invoice.paid_cents)
        changed += record(submission, EinvoiceStatus.COLLECTED, source="portail")
    return changed


def submissions(port, status=""):
    """The port's submissions, newest first, with their invoice or credit note and customer."""
    query = (
        EinvoiceSubmission.select(EinvoiceSubmission, Invoice, CreditNote)
        .join(Invoice, JOIN.LEFT_OUTER, on=(EinvoiceSubmission.invoice == Invoice.id))
        .switch(EinvoiceSubmission)
        .join(CreditNote, JOIN.LEFT_OUTER, on=(EinvoiceSubmission.credit_note == CreditNote.id))
        .where(EinvoiceSubmission.port == port)
        .order_by(EinvoiceSubmission.created_at.desc(), EinvoiceSubmission.id.desc())
    )
    if status:
        query = query.where(EinvoiceSubmission.status == status)
    return list(query)


def to_correct(port):
    """Rejected invoices with the credit notes issued since, for the « à corriger par avoir » list."""
    rows = []
    for submission in submissions(port, EinvoiceStatus.REJECTED):
        if submission.invoice_id is None:
            rows.append((submission, []))
            continue
        notes = list(
            CreditNote.select()
            .where((CreditNote.invoice == submission.invoice_id) & (CreditNote.issued_at >= submission.created_at))
            .order_by(CreditNote.id)
        )
        rows.append((submission, notes))
    return rows


def status_by_invoice(invoice_ids):
    """{invoice id: submission} for the invoice list, in one query."""
    if not invoice_ids:
        return {}
    query = EinvoiceSubmission.select().where(EinvoiceSubmission.invoice.in_(list(invoice_ids)))
    return {s.invoice_id: s for s in query}


def history(submission):
    return list(submission.events.order_by(EinvoiceEvent.id))  # as recorded; `at` is the platform's time
