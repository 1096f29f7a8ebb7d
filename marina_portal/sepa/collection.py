"""Direct-debit batches: what to collect, the pain.008 file (sepaxml), pre-notifications, returns, settlement.

One collection per active mandate sums what its customer's invoices owe by the collection date: the open balance
of an invoice paid at once, the instalments fallen due (less what is paid) of one paid in monthly direct debits
(billing/schedules.py); an invoice paid in card instalments is left to the card. Exporting records the batch, marks
those invoices "in_progress" (so no later batch collects them again until the debit settles) and books a
direct-debit payment for each; a returned debit cancels that payment, which reopens what it had paid.
"""

import datetime as dt
import json

from flask import current_app
from peewee import fn

from marina_portal.billing import schedules, statement
from marina_portal.core.db import database
from marina_portal.core.formats import euros, fr_date, paris_today, to_paris
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.refusals import Refusal
from marina_portal.core.storage import read_bytes, save_bytes
from marina_portal.models import (
    CollectionStatus,
    Customer,
    DebitStatus,
    DirectDebit,
    DirectDebitBatch,
    Invoice,
    InvoiceStatus,
    Mandate,
    Payment,
    PaymentAttempt,
    User,
    utcnow,
)
from marina_portal.sepa import amendments, bank_details, mandates
from marina_portal.sepa.charset import epc_text

FORMATS = ("pain.008.001.08", "pain.008.001.02")
DEFAULT_FORMAT = "pain.008.001.08"
DEFAULT_NOTICE_DAYS = 14
DEFAULT_BANK_WINDOW_DAYS = 60
CARD_ATTEMPT_HOLD = dt.timedelta(hours=1)
SETTLE_DAYS = 7  # after this many days past the collection date a debit counts as collected


# Every reason code of the EPC rulebook for a returned, rejected or refunded direct debit, in French.
RETURN_REASONS = {
    "AC01": "coordonnées bancaires erronées (IBAN)",
    "AC04": "compte clôturé",
    "AC06": "compte bloqué",
    "AC13": "compte d'un consommateur (prélèvement interentreprises refusé)",
    "AG01": "prélèvement interdit sur ce compte",
    "AG02": "code opération invalide",
    "AM04": "provision insuffisante",
    "AM05": "prélèvement en double",
    "BE05": "créancier non reconnu",
    "CNOR": "banque du créancier non joignable",
    "DNOR": "banque du débiteur non joignable",
    "FF01": "fichier invalide",
    "FOCR": "retour après une demande d'annulation",
    "MD01": "pas de mandat",
    "MD02": "informations du mandat manquantes ou erronées",
    "MD06": "contestation du débiteur (remboursement demandé)",
    "MD07": "débiteur décédé",
    "MS02": "refus du débiteur",
    "MS03": "motif non communiqué",
    "RC01": "BIC erroné",
    "RR01": "compte ou identité du débiteur manquants (réglementation)",
    "RR02": "nom ou adresse du débiteur manquants (réglementation)",
    "RR03": "nom ou adresse du créancier manquants (réglementation)",
    "RR04": "motif réglementaire",
    "SL01": "service particulier de la banque du débiteur (liste noire, plafond)",
}
# After these the mandate cannot serve again as it stands: no further collection until a new one is signed.
SUSPENDING_REASONS = frozenset({"AC04", "AC06", "MD01", "MD07", "SL01"})


class SepaError(Refusal):
    """A French message: why no batch was produced."""


def notice_days():
    return int(current_app.config.get("SEPA_PRENOTIFICATION_DAYS", DEFAULT_NOTICE_DAYS))


def bank_window_days():
    """How far ahead the port's bank accepts a collection date (SEPA_BANK_WINDOW_DAYS)."""
    return int(current_app.config.get("SEPA_BANK_WINDOW_DAYS", DEFAULT_BANK_WINDOW_DAYS))


def _sepa_text(value, length):
    return epc_text(value, length)


def collectable(port, collection_date):
    """[(mandate, [invoices with paid_cents and debit_cents])] for active mandates with money owed by that date.

    `debit_cents` is what this collection takes of the invoice: its balance, or the instalments fallen due.

    An invoice whose boater started a card payment less than CARD_ATTEMPT_HOLD ago is left for a later batch:
    they may be on the bank's page right now, and would otherwise pay it twice."""
    active = {m.customer_id: m for m in Mandate.select().where(Mandate.status == "active")}
    if not active:
        return []
    due = fn.COALESCE(Invoice.due_on, Invoice.issued_on)
    paying_by_card = PaymentAttempt.select(PaymentAttempt.invoice).where(
        (PaymentAttempt.status == "pending") & (PaymentAttempt.created_at > utcnow() - CARD_ATTEMPT_HOLD)
    )
    invoices = (
        Invoice.with_paid()
        .where(
            (Invoice.port == port)
            & Invoice.customer.in_(list(active))
            & (Invoice.collection_status != "in_progress")
            & (Invoice.status == InvoiceStatus.ISSUED)
            & (Invoice.payment_schedule.not_in(schedules.BY_CARD))
            & (due <= collection_date)
            & Invoice.id.not_in(paying_by_card)
        )
        .order_by(Invoice.customer, Invoice.issued_on, Invoice.id)
    )
    found = {}
    for invoice in invoices:
        invoice.debit_cents = schedules.owed_by(invoice, collection_date)
        if invoice.debit_cents > 0:
            found.setdefault(invoice.customer_id, []).append(invoice)
    return [(active[customer_id], found[customer_id]) for customer_id in sorted(found)]


def first_time_mandates(mandate_ids):
    """Mandates with no debit yet (a returned one does not count): their next collection is FRST."""
    used = {
        d.mandate_id
        for d in DirectDebit.select(DirectDebit.mandate)
        .where(DirectDebit.mandate.in_(mandate_ids) & (DirectDebit.status != DebitStatus.RETURNED))
        .distinct()
    }
    return set(mandate_ids) - used


class IncompleteSettings(SepaError):
    """The port lacks its creditor identifier or account: set in the port's settings."""


def missing_settings(port):
    """Labels of the port settings a batch needs and that are still empty, or wrong (an ICS the bank refuses)."""
    missing = [
        label
        for label, value in (
            ("identifiant créancier SEPA (ICS)", port.creditor_id),
            ("IBAN", port.iban),
            ("BIC", port.bic),
        )
        if not value
    ]
    if port.creditor_id and bank_details.creditor_id_problem(port.creditor_id):
        missing.insert(0, f"identifiant créancier SEPA (ICS) valide (« {port.creditor_id} » ne l'est pas)")
    return missing


def _check_port(port, message_format):
    missing = missing_settings(port)
    if missing:
        raise IncompleteSettings("Réglages du port incomplets : " + ", ".join(missing) + ".")
    if message_format not in FORMATS:
        raise SepaError(f"Format inconnu : {message_format} (formats possibles : {', '.join(FORMATS)}).")


def export_batch(port, collection_date, message_format=DEFAULT_FORMAT, user=None, today=None, expected_cents=None):
    """Record a batch for `collection_date` and return (batch, xml bytes); SepaError when nothing can go.

    `expected_cents`, the total someone approved on a preview: a batch that no longer adds up to it is refused.
    """
    from sepaxml import SepaDD
    from sepaxml.validation import ValidationError as SchemaError
    from sepaxml.validation import try_valid_xml

    today = today or paris_today()
    _check_port(port, message_format)
    earliest = today + dt.timedelta(days=notice_days())
    if collection_date < earliest:
        raise SepaError(
            f"La date de prélèvement doit laisser {notice_days()} jours de préavis aux débiteurs : "
            f"choisissez le {fr_date(earliest)} ou une date ultérieure."
        )
    latest = today + dt.timedelta(days=bank_window_days())
    if collection_date > latest:
        raise SepaError(
            f"La banque n'accepte pas de prélèvement à plus de {bank_window_days()} jours : "
            f"choisissez une date au plus tard le {fr_date(latest)}."
        )
    mandates.lapse_dormant(today)
    with database.atomic():
        plan = collectable(port, collection_date)
        if not plan:
            raise SepaError(f"Aucune facture à prélever au {fr_date(collection_date)}.")
        total = sum(i.debit_cents for _, invoices in plan for i in invoices)
        if expected_cents is not None and total != expected_cents:
            raise SepaError(
                f"Le lot a changé depuis l'aperçu ({euros(total)} au lieu de {euros(expected_cents)}) : "
                "vérifiez-le ci-dessous avant de l'exporter."
            )
        first = first_time_mandates([m.id for m, _ in plan])
        batch = DirectDebitBatch.create(
            port=port, collection_date=collection_date, message_format=message_format, created_by=user
        )
        document = SepaDD(
            {
                "name": _sepa_text(port.name, 70),
                "IBAN": port.iban,
                "BIC": port.bic,
                "batch": True,
                "creditor_id": port.creditor_id,
                "currency": "EUR",
            },
            schema=message_format,
        )
        amended = {}
        for mandate, invoices in plan:
            amendment = amendments.for_mandate(mandate, port)
            sequence = "FRST" if mandate.id in first or amendment.get("new_bank") else "RCUR"
            end_to_end = f"B{batch.id:06d}M{mandate.id:06d}"
            amount = sum(i.debit_cents for i in invoices)
            document.add_payment(
                _transaction(mandate, invoices, amount, sequence, end_to_end, collection_date, message_format)
            )
            _book(batch, mandate, invoices, sequence, end_to_end, collection_date, user, amendment, port)
            amended[end_to_end] = amendment
        try:
            xml = amendments.add_to_file(document.export(validate=False), amended, message_format)
            try_valid_xml(xml, message_format)
        except SchemaError as e:  # nothing is recorded: the transaction rolls back
            raise SepaError(
                "Le fichier produit ne respecte pas le schéma "
                + message_format
                + " : vérifiez les coordonnées des débiteurs et du port."
            ) from e
        batch.message_id = document.msg_id
        batch.stored_as, batch.sha256 = save_bytes("sepa", xml, ".xml")
        batch.save()
    statement.refresh_pdfs_soon(*[invoice.id for _, invoices in plan for invoice in invoices])
    prenotify(batch)
    return batch, xml


def _address(mandate, message_format):
    """Structured in .08; in .02 the EPC guidelines allow only the country and two address lines."""
    if message_format == "pain.008.001.02":
        lines = [_sepa_text(mandate.street, 70), _sepa_text(f"{mandate.postcode} {mandate.town}", 70)]
        return {"country": mandate.country, "lines": [line for line in lines if line]}
    return {
        "street_name": _sepa_text(mandate.street, 70),
        "postcode": _sepa_text(mandate.postcode, 16),
        "town": _sepa_text(mandate.town, 35),
        "country": mandate.country,
    }


def _transaction(mandate, invoices, amount, sequence, end_to_end, collection_date, message_format):
    numbers = ", ".join(schedules.reference(i, collection_date) for i in invoices)
    found = {
        "name": _sepa_text(mandate.debtor_name, 70),
        "IBAN": mandate.iban,
        "amount": amount,
        "type": sequence,
        "collection_date": collection_date,
        "mandate_id": mandate.rum,
        "mandate_date": to_paris(mandate.signed_at).date(),
        "endtoend_id": end_to_end,
        "description": _sepa_text(f"Factures {numbers}" if len(invoices) > 1 else f"Facture {numbers}", 140),
        "address": _address(mandate, message_format),
    }
    if mandate.bic:  # none for an EEA account whose bank is not known: the file says NOTPROVIDED
        found["BIC"] = mandate.bic
    return found


def _book(batch, mandate, invoices, sequence, end_to_end, collection_date, user, amendment, port):
    for invoice in invoices:
        DirectDebit.create(
            batch=batch,
            mandate=mandate,
            invoice=invoice,
            amount_cents=invoice.debit_cents,
            sequence_type=sequence,
            end_to_end_id=end_to_end,
            amendment=amendments.told_before(mandate) if amendment else "",
        )
        Payment.create(
            invoice=invoice,
            method="direct_debit",
            amount_cents=invoice.debit_cents,
            received_on=collection_date,
            reference=end_to_end,
            recorded_by=user,
        )
    marked = (
        Invoice.update(collection_status=CollectionStatus.IN_PROGRESS)
        .where(Invoice.id.in_([i.id for i in invoices]) & (Invoice.collection_status != CollectionStatus.IN_PROGRESS))
        .execute()
    )
    if marked != len(invoices):  # another export took them meanwhile: this one rolls back
        raise SepaError("Un autre lot vient de prendre ces factures : relancez l'export.")
    Mandate.update(  # from now on the bank knows the mandate under today's creditor and account
        last_collection_on=collection_date,
        told_creditor_id=port.creditor_id,
        told_creditor_name=port.name,
        told_iban=mandate.iban,
        told_bic=mandate.bic,
    ).where(Mandate.id == mandate.id).execute()


def batch_file(batch):
    """The exact bytes exported for a batch, as handed to the bank."""
    return read_bytes(batch.stored_as)


def prenotify(batch):
    """Tell each debtor the amount, date, RUM and ICS of their coming debit (one mail per collection)."""

    debits = list(
        DirectDebit.select(DirectDebit, Invoice, Mandate)
        .join(Invoice)
        .switch(DirectDebit)
        .join(Mandate)
        .where(DirectDebit.batch == batch)
    )
    by_mandate = {}
    for debit in debits:
        by_mandate.setdefault(debit.mandate_id, []).append(debit)
    customer_ids = [group[0].mandate.customer_id for group in by_mandate.values()]
    logins = {u.customer_id: u.email for u in User.select().where(User.customer.in_(customer_ids))}
    customers = {c.id: c for c in Customer.select().where(Customer.id.in_(customer_ids))}
    mailed = []
    for group in by_mandate.values():
        mandate = group[0].mandate
        customer = customers[mandate.customer_id]
        to = customer.email or logins.get(customer.id)
        if not to:
            continue
        send_email(
            to,
            N_("Avis de prélèvement SEPA"),
            "sepa_prenotification",
            language=customer.language,
            port=batch.port,
            mandate=mandate,
            debits=group,
            amount=euros(sum(d.amount_cents for d in group)),
            collection_date=fr_date(batch.collection_date),
        )
        mailed.extend(d.id for d in group)
    if mailed:
        DirectDebit.update(prenotified_at=utcnow()).where(DirectDebit.id.in_(mailed)).execute()
    return len(mailed)


def record_return(end_to_end_id, reason="", user=None):
    """The bank returned (rejected) a collection: its payments are cancelled, so the balances reopen."""
    with database.atomic():
        debits = list(
            DirectDebit.select().where(
                (DirectDebit.end_to_end_id == end_to_end_id) & (DirectDebit.status != DebitStatus.RETURNED)
            )
        )
        if not debits:
            raise SepaError(f"Aucun prélèvement en cours avec la référence {end_to_end_id}.")
        invoice_ids = [d.invoice_id for d in debits]
        DirectDebit.update(status=DebitStatus.RETURNED, returned_at=utcnow(), return_reason=reason[:255]).where(
            DirectDebit.id.in_([d.id for d in debits])
        ).execute()
        booked = (
            Payment.invoice.in_(invoice_ids)
            & (Payment.method == "direct_debit")
            & (Payment.reference == end_to_end_id)
            & Payment.cancelled_at.is_null()
        )
        Payment.update(
            cancelled_at=utcnow(), cancelled_by=user, cancel_reason=f"Prélèvement rejeté {reason}".strip()
        ).where(booked).execute()
        Invoice.update(collection_status="").where(Invoice.id.in_(invoice_ids)).execute()
        if reason.strip().upper() in SUSPENDING_REASONS:
            Mandate.update(status="suspended").where(
                Mandate.id.in_({d.mandate_id for d in debits}) & (Mandate.status == "active")
            ).execute()
        carried = next((d for d in debits if d.amendment), None)
        if carried is not None:  # the bank never took that amendment: the next collection carries it again
            Mandate.update(**json.loads(carried.amendment)).where(Mandate.id == carried.mandate_id).execute()
    statement.refresh_pdfs_soon(*invoice_ids)
    return debits


def settle(today=None):
    """Debits a week past their collection date count as collected; their invoices leave "in progress"."""
    limit = (today or paris_today()) - dt.timedelta(days=SETTLE_DAYS)
    with database.atomic():
        debits = list(
            DirectDebit.select(DirectDebit.id, DirectDebit.invoice)
            .join(DirectDebitBatch)
            .where((DirectDebit.status == DebitStatus.PENDING) & (DirectDebitBatch.collection_date <= limit))
        )
        if debits:
            DirectDebit.update(status=DebitStatus.COLLECTED).where(DirectDebit.id.in_([d.id for d in debits])).execute()
            Invoice.update(collection_status="").where(
                Invoice.id.in_([d.invoice_id for d in debits])
                & Invoice.id.not_in(
                    DirectDebit.select(DirectDebit.invoice).where(DirectDebit.status == DebitStatus.PENDING)
                )
            ).execute()
    return len(debits)
