"""« Contester »: a boater freezes a consumption line (not invoiced, its invoice not reminded) until the office
answers with a corrected reading or an explanation. Every step is kept (ConsumptionDispute) and mailed.

A corrected reading replaces the disputed line's second reading at the same moment: the line, and the next
one that started from that reading, are replaced by lines computed from the correction. A line already
invoiced is answered by an explanation (and, if the office agrees, a credit note on its invoice).
"""

from marina_portal.billing import follow_up
from marina_portal.core import audit
from marina_portal.core.db import write_locked
from marina_portal.core.formats import quantity
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.refusals import Refusal
from marina_portal.core.storage import save_bytes
from marina_portal.core.urls import external_url
from marina_portal.energy import consumption, readings
from marina_portal.models import (
    Consumption,
    ConsumptionDispute,
    ConsumptionStatus,
    Customer,
    InvoiceLine,
    MeterReading,
    Port,
    utcnow,
)

MAX_TEXT = 2000


class DisputeRefused(Refusal):
    """A dispute or an answer that can't be recorded, with the words to show."""


def open_dispute(user, customer, line, reason, ip=""):
    """The boater contests `line`: it is frozen, and its invoice (if any) is no longer reminded."""
    reason = (reason or "").strip()
    if not reason:
        raise DisputeRefused(N_("Dites en quelques mots ce qui vous paraît faux (l'index, la date, le compteur…)."))
    if len(reason) > MAX_TEXT:
        raise DisputeRefused(N_("Votre message dépasse 2 000 caractères : raccourcissez-le."))
    with write_locked(Consumption.select().where(Consumption.id == line.id)):
        status = Consumption.get_by_id(line.id).status
        if status == ConsumptionStatus.DISPUTED:
            raise DisputeRefused(N_("Cette consommation est déjà contestée : la capitainerie va vous répondre."))
        if status not in (ConsumptionStatus.OPEN, ConsumptionStatus.INVOICED):
            raise DisputeRefused(N_("Cette consommation ne peut plus être contestée."))
        dispute = ConsumptionDispute.create(consumption=line.id, reason=reason, opened_by=getattr(user, "id", None))
        Consumption.update(status=ConsumptionStatus.DISPUTED).where(Consumption.id == line.id).execute()
        invoice_id = _invoice_id(line)
        if invoice_id and not follow_up.active_dispute(invoice_id):
            follow_up.open_dispute(user, _Invoice(invoice_id), f"Consommation contestée : {reason}", ip)
        audit.record(user, "consumption.dispute", ("consumption", line.id), None, {"reason": reason}, ip)
    _mail(line, dispute, "opened")
    return dispute


def answer_with_reading(user, dispute, index_milli, photo=None, ip=""):
    """The office corrects the disputed line's second reading: the line (and the next one) are recomputed."""
    line = consumption.line_for_staff(dispute.consumption.meter.port_id, dispute.consumption_id)
    if line.invoice_line_id:
        raise DisputeRefused(
            N_(
                "Cette consommation est déjà facturée : répondez par une explication, "
                "et corrigez la facture par un avoir si besoin."
            )
        )
    if index_milli is None or index_milli < line.start_reading.index_milli:
        raise DisputeRefused(
            N_("L'index corrigé ne peut pas être inférieur au relevé précédent (%(index)s)."),
            index=quantity(line.start_reading.index_milli),
        )
    content_type = readings.check_photo(photo)
    stored = save_bytes("readings", photo, readings.PHOTO_TYPES[content_type])[0] if content_type else None
    old = line.end_reading
    following = (
        Consumption.select()
        .where((Consumption.start_reading == old.id) & (Consumption.status != ConsumptionStatus.REPLACED))
        .first()
    )
    if following is not None and following.invoice_line_id:
        raise DisputeRefused(N_("La consommation suivante est déjà facturée : répondez par une explication."))
    if following is not None and index_milli > following.end_reading.index_milli:
        raise DisputeRefused(
            N_("L'index corrigé dépasse le relevé suivant (%(index)s)."),
            index=quantity(following.end_reading.index_milli),
        )
    with write_locked(Consumption.select().where(Consumption.id == line.id)):
        _still_open(dispute)
        corrected = MeterReading.create(
            meter=old.meter_id,
            read_at=old.read_at,
            index_milli=index_milli,
            role=old.role,
            source="office",
            photo=stored,
            photo_type=content_type or "",
            taken_by=getattr(user, "id", None),
        )
        MeterReading.update(replaced_by=corrected.id).where(MeterReading.id == old.id).execute()
        Consumption.update(status=ConsumptionStatus.REPLACED).where(Consumption.id == line.id).execute()
        new_line = readings.consumption_between(line.meter, line.start_reading, corrected)
        if following is not None:
            Consumption.update(status=ConsumptionStatus.REPLACED).where(Consumption.id == following.id).execute()
            follower = readings.consumption_between(line.meter, corrected, following.end_reading)
            if following.status == ConsumptionStatus.DISPUTED:
                Consumption.update(status=ConsumptionStatus.DISPUTED).where(Consumption.id == follower.id).execute()
                ConsumptionDispute.update(consumption=follower.id).where(
                    (ConsumptionDispute.consumption == following.id) & ConsumptionDispute.answered_at.is_null()
                ).execute()
        _close(dispute, user, "reading", "", corrected)
        audit.record(
            user,
            "consumption.corrected",
            ("consumption", line.id),
            {"index_milli": old.index_milli},
            {"index_milli": index_milli, "new_line": new_line.id},
            ip,
        )
    dispute = ConsumptionDispute.get_by_id(dispute.id)
    _mail(line, dispute, "corrected", new_line=consumption.line_for_staff(line.meter.port_id, new_line.id))
    return new_line


def answer_with_explanation(user, dispute, text, ip=""):
    """The office explains why the line is right: it goes back to be invoiced (or its invoice to be reminded)."""
    text = (text or "").strip()
    if not text:
        raise DisputeRefused(N_("Écrivez l'explication envoyée au plaisancier."))
    if len(text) > MAX_TEXT:
        raise DisputeRefused(N_("L'explication dépasse 2 000 caractères : raccourcissez-la."))
    line = consumption.line_for_staff(dispute.consumption.meter.port_id, dispute.consumption_id)
    with write_locked(Consumption.select().where(Consumption.id == line.id)):
        _still_open(dispute)
        status = ConsumptionStatus.INVOICED if line.invoice_line_id else ConsumptionStatus.OPEN
        Consumption.update(status=status).where(Consumption.id == line.id).execute()
        _close(dispute, user, "explanation", text, None)
        invoice_id = _invoice_id(line)
        if invoice_id and follow_up.active_dispute(invoice_id) and not _other_disputes(invoice_id, line.id):
            follow_up.close_dispute(user, _Invoice(invoice_id), ip)
        audit.record(user, "consumption.explained", ("consumption", line.id), None, {"text": text}, ip)
    _mail(line, ConsumptionDispute.get_by_id(dispute.id), "explained")
    return line


def _still_open(dispute):
    if ConsumptionDispute.get_by_id(dispute.id).answered_at is not None:
        raise DisputeRefused(N_("Cette contestation a déjà reçu une réponse."))


def _close(dispute, user, answer, text, reading):
    ConsumptionDispute.update(
        answer=answer,
        answer_text=text,
        new_reading=getattr(reading, "id", None),
        answered_by=getattr(user, "id", None),
        answered_at=utcnow(),
    ).where(ConsumptionDispute.id == dispute.id).execute()


class _Invoice:
    """Just the id follow_up needs."""

    def __init__(self, invoice_id):
        self.id = invoice_id


def _invoice_id(line):
    if not line.invoice_line_id:
        return None
    return InvoiceLine.get_by_id(line.invoice_line_id).invoice_id


def _other_disputes(invoice_id, line_id):
    return (
        Consumption.select()
        .join(InvoiceLine, on=(Consumption.invoice_line == InvoiceLine.id))
        .where(
            (InvoiceLine.invoice == invoice_id)
            & (Consumption.status == ConsumptionStatus.DISPUTED)
            & (Consumption.id != line_id)
        )
        .exists()
    )


def history(line_ids):
    """{consumption id: [disputes oldest first]} for these lines."""
    found = {}
    if line_ids:
        for dispute in (
            ConsumptionDispute.select()
            .where(ConsumptionDispute.consumption.in_(list(line_ids)))
            .order_by(ConsumptionDispute.opened_at, ConsumptionDispute.id)
        ):
            found.setdefault(dispute.consumption_id, []).append(dispute)
    return found


def open_for_port(port):
    """The disputes waiting for the office's answer, oldest first."""
    return [
        d
        for d in ConsumptionDispute.select()
        .where(ConsumptionDispute.answered_at.is_null())
        .order_by(ConsumptionDispute.opened_at, ConsumptionDispute.id)
        if d.consumption.meter.port_id == port.id
    ]


def dispute_for_staff(port, dispute_id):
    dispute = ConsumptionDispute.get_or_none(ConsumptionDispute.id == dispute_id)
    if dispute is None or dispute.consumption.meter.port_id != port.id:
        return None
    return dispute


SUBJECTS = {
    "opened": N_("Votre contestation de consommation est enregistrée"),
    "corrected": N_("Votre consommation est corrigée"),
    "explained": N_("Réponse à votre contestation de consommation"),
}


def _mail(line, dispute, event, new_line=None):
    customer = Customer.get_or_none(Customer.id == line.customer_id)
    port = Port.get_by_id(line.meter.port_id)
    context = dict(
        port=port,
        customer=customer,
        line=line,
        dispute=dispute,
        event=event,
        new_line=new_line,
        describe=consumption.describe,
        link=external_url("energy.index"),
    )
    if customer is not None and customer.email:
        send_email(customer.email, SUBJECTS[event], "consumption_dispute", language=customer.language, **context)
    if event == "opened" and port.email:
        send_email(
            port.email,
            f"Consommation contestée : compteur {line.meter.number}, poste {line.meter.berth.code}",
            "consumption_dispute_office",
            language="fr",
            staff_link=external_url("staff.energy_disputes"),
            **context,
        )
