"""Contracts and their versioned terms, from the harbour office: create, change, send for signature."""

from flask import current_app

from marina_portal.contracts import berth_rules
from marina_portal.core import audit
from marina_portal.core.db import database, write_locked
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.refusals import Refusal
from marina_portal.core.urls import external_url
from marina_portal.models import Berth, Contract, ContractStatus, ContractTerms, PaymentSchedule, User, utcnow

FACTS = ("number", "contract_type", "boat", "berth", "starts_on", "ends_on", "price_cents", "payment_terms")


class Refused(Refusal):
    """A contract change that can't be made, with the words to show."""


def _check(port, values, contract=None):
    if values["ends_on"] < values["starts_on"]:
        raise Refused("La date de fin précède la date de début.")
    try:
        berth_rules.check(
            _id(values.get("berth")),
            _id(values.get("boat")),
            values["starts_on"],
            values["ends_on"],
            contract.id if contract is not None else None,
        )
    except berth_rules.BerthRefused as refusal:
        raise Refused(str(refusal)) from None
    taken = Contract.select().where((Contract.port == port) & (Contract.number == values["number"]))
    if contract is not None:
        taken = taken.where(Contract.id != contract.id)
    if taken.exists():
        raise Refused(f"Le numéro de contrat {values['number']} est déjà utilisé.")


def _id(value):
    return getattr(value, "id", value) or None


def create(user, customer, values, ip=""):
    """A draft contract on the latest terms of its type (refused when its berth is taken or too small)."""
    with _berth_locked(values):
        _check(customer.port_id, values)
        terms = ContractTerms.latest(customer.port_id, values["contract_type"])
        contract = Contract.create(
            port=customer.port_id,
            customer=customer,
            terms=terms,
            status=ContractStatus.DRAFT,
            **{name: values[name] for name in FACTS},
        )
        audit.record(user, "contract.create", contract, None, audit.snapshot(contract, FACTS + ("status",)), ip)
    return contract


def update(user, contract, values, ip=""):
    """Change a contract's facts; its revision goes up, so a signature in progress starts again."""
    if contract.status in (ContractStatus.SIGNED, ContractStatus.CANCELLED):
        raise Refused("Un contrat signé ou annulé ne peut plus être modifié : créez-en un nouveau.")
    before = audit.snapshot(contract, FACTS + ("revision",))
    with _berth_locked(values):
        _check(contract.port_id, values, contract)
        for name in FACTS:
            setattr(contract, name, values[name])
        if audit.snapshot(contract, FACTS) == {k: before[k] for k in FACTS}:
            return False
        contract.revision += 1
        contract.updated_at = utcnow()
        contract.save()
        audit.record(user, "contract.update", contract, before, audit.snapshot(contract, FACTS + ("revision",)), ip)
    return True


def set_payment_schedule(user, contract, schedule, ip=""):
    """Choose how the contract's invoices are paid: at once or in instalments (billing/schedules.py).

    Not one of the signed facts, so no signature restarts; an invoice already issued keeps the schedule it was
    issued with. Returns False when nothing changed."""
    if schedule not in {s.value for s in PaymentSchedule}:
        raise Refused("Choisissez un échéancier : " + ", ".join(f"« {s.label} »" for s in PaymentSchedule) + ".")
    if contract.status == ContractStatus.CANCELLED:
        raise Refused("Ce contrat est annulé : son échéancier ne se modifie plus.")
    if contract.payment_schedule == schedule:
        return False
    before = audit.snapshot(contract, ("payment_schedule",))
    with database.atomic():
        contract.payment_schedule = schedule
        contract.updated_at = utcnow()
        contract.save(only=[Contract.payment_schedule, Contract.updated_at])
        audit.record(user, "contract.payment_schedule", contract, before, {"payment_schedule": schedule}, ip)
    return True


def _berth_locked(values):
    """Two offices giving one berth at the same moment: the second checks after the first has written."""
    return write_locked(Berth.select(Berth.id).where(Berth.id == (_id(values.get("berth")) or 0)))


def recipient(contract):
    """Where the signature mail goes: the boater's login, else the address on file."""
    login = User.select(User.email).where(User.customer == contract.customer_id).first()
    return login.email if login else contract.customer.email


def send_for_signature(user, contract, ip=""):
    """Mark the contract as sent and mail the boater a link to CONTRAT; the address it went to."""
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.SENT):
        raise Refused("Seul un contrat en brouillon ou déjà envoyé peut être envoyé pour signature.")
    to = recipient(contract)
    if not to:
        raise Refused("Ce client n'a pas d'adresse mail : ajoutez-la à sa fiche.")
    endpoint = "contract.show" if "contract.show" in current_app.view_functions else "main.home"
    before = audit.snapshot(contract, ("status", "sent_at"))
    with database.atomic():
        contract.status, contract.sent_at = ContractStatus.SENT, utcnow()
        contract.save()
        audit.record(
            user, "contract.send", contract, before, dict(audit.snapshot(contract, ("status", "sent_at")), to=to), ip
        )
    send_email(
        to,
        N_("Votre contrat est prêt à signer"),
        "contract_to_sign",
        language=contract.customer.language,
        contract=contract,
        customer=contract.customer,
        link=external_url(endpoint),
    )
    return to


def add_terms_version(user, port, contract_type, body, ip=""):
    """A new version of the conditions of one contract type; earlier contracts keep theirs."""
    contract_type, body = contract_type.strip(), body.strip()
    if not contract_type or not body:
        raise Refused("Indiquez le type de contrat et le texte des conditions.")
    with database.atomic():
        latest = ContractTerms.latest(port, contract_type)
        terms = ContractTerms.create(
            port=port, contract_type=contract_type, body=body, version=(latest.version + 1) if latest else 1
        )
        audit.record(user, "terms.create", terms, None, {"contract_type": contract_type, "version": terms.version}, ip)
    return terms
