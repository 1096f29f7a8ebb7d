"""A boater's own facts: contact details applied at once (audited), boat facts applied once staff approve.

One pending request per boat: a new proposal replaces the pending one (its status becomes "replaced"),
so the harbour office always reviews the boater's latest word and a stale approval button finds
nothing left to approve. A request keeps the facts the boater changed (`changed`); approving copies
only those onto the Boat and audits it; refusing needs a reason. Either way the boater gets a mail in
their language. The boater may withdraw a request still pending ("withdrawn", audited, no mail).
"""

from typing import Any

from marina_portal.core import audit
from marina_portal.core.db import database, write_locked
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.refusals import Refusal
from marina_portal.core.urls import external_url
from marina_portal.models import Boat, BoatChange, BoatChangeStatus, Customer, Port, User, utcnow

CONTACT_FIELDS = ("phone", "street", "postcode", "town", "country")
BOAT_FACTS = ("name", "registration", "boat_type", "length_cm", "beam_cm", "draught_cm")


class ChangeRefused(Refusal):
    """A change the boater or the harbour office can't make now, with the words to show."""


def update_contact(user: User, customer: Customer, values: dict[str, Any], ip: str = "") -> bool:
    """Apply the boater's new contact details; True when something changed (then audited as customer.contact)."""
    before = audit.snapshot(customer, CONTACT_FIELDS)
    for name in CONTACT_FIELDS:
        value = (values.get(name) or "").strip()
        setattr(customer, name, value.upper() if name == "country" else value)
    return audit.save_if_changed(
        user, "customer.contact", customer, before, audit.snapshot(customer, CONTACT_FIELDS), ip
    )


def boats_of(customer: Customer) -> list[Boat]:
    return list(Boat.select().where(Boat.customer == customer).order_by(Boat.name, Boat.id))


def own_boat(boat_id: int, customer: Customer | int) -> Boat | None:
    """The customer's own boat, or None (another boater's looks the same as a missing one)."""
    return Boat.get_or_none((Boat.id == boat_id) & (Boat.customer == customer))


def pending_for(boat: Boat) -> BoatChange | None:
    """The boat's request awaiting the harbour office, or None."""
    return BoatChange.get_or_none((BoatChange.boat == boat) & (BoatChange.status == BoatChangeStatus.PENDING))


def latest_by_boat(customer: Customer) -> dict[int, tuple[BoatChange | None, BoatChange | None]]:
    """{boat id: (pending request or None, latest decided request or None)} for the customer, in one query."""
    found = {}
    rows = (
        BoatChange.select()
        .where(
            (BoatChange.customer == customer)
            & BoatChange.status.not_in((BoatChangeStatus.REPLACED, BoatChangeStatus.WITHDRAWN))
        )
        .order_by(BoatChange.requested_at.desc(), BoatChange.id.desc())
    )
    for change in rows:
        pending, decided = found.get(change.boat_id, (None, None))
        if change.status == BoatChangeStatus.PENDING and pending is None:
            pending = change
        elif change.status != BoatChangeStatus.PENDING and decided is None:
            decided = change
        found[change.boat_id] = (pending, decided)
    return found


def propose(user: User, boat: Boat, values: dict[str, Any]) -> BoatChange:
    """Record the boater's proposed facts for staff to approve; replaces a request still pending."""
    proposed = {name: values.get(name) for name in BOAT_FACTS}
    proposed["name"] = (proposed["name"] or "").strip()
    proposed["registration"] = (proposed["registration"] or "").strip()
    proposed["boat_type"] = (proposed["boat_type"] or "").strip()
    if not proposed["name"]:
        raise ChangeRefused(N_("Indiquez le nom du bateau."))
    changed = [name for name in BOAT_FACTS if proposed[name] != getattr(boat, name)]
    if not changed:
        raise ChangeRefused(N_("Aucune modification : ce sont déjà les informations enregistrées."))
    # Locked on the boat: on PostgreSQL two proposals at once (a double click) would both find nothing
    # pending to replace and leave two requests waiting.
    with write_locked(Boat.select(Boat.id).where(Boat.id == boat.id)):
        (
            BoatChange.update(status=BoatChangeStatus.REPLACED, decided_at=utcnow())
            .where((BoatChange.boat == boat) & (BoatChange.status == BoatChangeStatus.PENDING))
            .execute()
        )
        return BoatChange.create(
            boat=boat,
            customer=boat.customer_id,
            requested_by=getattr(user, "id", user),
            changed=",".join(changed),
            **proposed,
        )


def own_change(change_id: int, customer: Customer | int) -> BoatChange | None:
    """One of the customer's requests, or None (another boater's looks the same as a missing one)."""
    return BoatChange.get_or_none((BoatChange.id == change_id) & (BoatChange.customer == customer))


def withdraw(user: User, change: BoatChange, ip: str = "") -> None:
    """The boater takes back their request while it is still pending (audited as boat.change_withdrawn)."""
    with database.atomic():
        updated = (
            BoatChange.update(
                status=BoatChangeStatus.WITHDRAWN, decided_at=utcnow(), decided_by=getattr(user, "id", user)
            )
            .where((BoatChange.id == change.id) & (BoatChange.status == BoatChangeStatus.PENDING))
            .execute()
        )
        if not updated:
            raise ChangeRefused(N_("Cette demande n'est plus en attente : elle a déjà été traitée ou remplacée."))
        audit.record(user, "boat.change_withdrawn", ("boat", change.boat_id), None, {"change": change.id}, ip)


def pending(port: Port) -> list[BoatChange]:
    """Requests awaiting a decision, oldest first, each with its boat (current facts) and customer."""
    return list(
        BoatChange.select(BoatChange, Boat, Customer)
        .join(Boat, on=(BoatChange.boat == Boat.id))
        .switch(BoatChange)
        .join(Customer, on=(BoatChange.customer == Customer.id))
        .where((BoatChange.status == BoatChangeStatus.PENDING) & (Customer.port == port))
        .order_by(BoatChange.requested_at, BoatChange.id)
    )


def recently_decided(port: Port, limit: int = 20) -> list[BoatChange]:
    return list(
        BoatChange.select(BoatChange, Boat, Customer)
        .join(Boat, on=(BoatChange.boat == Boat.id))
        .switch(BoatChange)
        .join(Customer, on=(BoatChange.customer == Customer.id))
        .where(BoatChange.status.in_((BoatChangeStatus.APPROVED, BoatChangeStatus.REFUSED)) & (Customer.port == port))
        .order_by(BoatChange.decided_at.desc(), BoatChange.id.desc())
        .limit(limit)
    )


def _decide(change_id, port, staff_user, status, reason=""):
    """Move a pending request of the port to its decision; the request, or ChangeRefused when already decided."""
    change = (
        BoatChange.select(BoatChange, Customer)
        .join(Customer, on=(BoatChange.customer == Customer.id))
        .where((BoatChange.id == change_id) & (Customer.port == port))
        .first()
    )
    updated = 0
    if change is not None:
        decided_by = getattr(staff_user, "id", staff_user)
        updated = (
            BoatChange.update(status=status, decided_at=utcnow(), decided_by=decided_by, refusal_reason=reason)
            .where((BoatChange.id == change.id) & (BoatChange.status == BoatChangeStatus.PENDING))
            .execute()
        )
    if not updated:
        raise ChangeRefused(N_("Cette demande n'est plus en attente : elle a déjà été traitée ou remplacée."))
    return BoatChange.get_by_id(change.id)


def approve(change_id: int, port: Port, staff_user: User, ip: str = "") -> BoatChange:
    """Apply the proposed facts to the boat (audited as boat.update) and tell the boater."""
    with database.atomic():
        change = _decide(change_id, port, staff_user, "approved")
        boat = Boat.get_by_id(change.boat_id)
        before = audit.snapshot(boat, BOAT_FACTS)
        for name in change.changed_fields:  # facts the office corrected since the request stay as they are
            setattr(boat, name, getattr(change, name))
        boat.save()
        audit.record(staff_user, "boat.update", boat, before, audit.snapshot(boat, BOAT_FACTS), ip)
    _mail_decision(change, boat)
    return change


def refuse(change_id: int, port: Port, staff_user: User, reason: str, ip: str = "") -> BoatChange:
    reason = (reason or "").strip()
    if not reason:
        raise ChangeRefused(N_("Indiquez le motif du refus : il est envoyé au plaisancier."))
    with database.atomic():
        change = _decide(change_id, port, staff_user, "refused", reason)
        audit.record(staff_user, "boat.change_refused", ("boat", change.boat_id), None, {"reason": reason}, ip)
    _mail_decision(change, Boat.get_by_id(change.boat_id))
    return change


def _mail_decision(change, boat):
    requester = User.get_or_none(User.id == change.requested_by_id) if change.requested_by_id else None
    customer = Customer.get_by_id(change.customer_id)
    to = requester.email if requester else customer.email
    if not to:
        return
    subject = (
        N_("Votre bateau %(name)s : modification acceptée")
        if change.status == BoatChangeStatus.APPROVED
        else N_("Votre bateau %(name)s : modification refusée")
    )
    send_email(
        to,
        subject,
        "boat_change_decided",
        subject_fields={"name": boat.name},
        language=requester.language if requester else customer.language,
        customer=customer,
        boat=boat,
        change=change,
        port=Port.get_by_id(customer.port_id),
        link=external_url("boat.index"),
    )
