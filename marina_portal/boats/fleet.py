"""Boats and berths typed in at the harbour office (imports fill them too, matched on their codes)."""

from peewee import JOIN

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.refusals import Refusal
from marina_portal.models import Berth, Boat, Contract, ContractStatus, Customer

BOAT_FIELDS = ("code", "name", "registration", "boat_type", "length_cm", "beam_cm", "draught_cm")
BERTH_FIELDS = ("code", "length_cm", "width_cm")


class Refused(Refusal):
    """A boat or berth change that can't be made, with the words to show."""


def save_boat(user, customer, values, boat=None, ip=""):
    """Create a boat for the customer, or change one; codes stay unique within the port."""
    code = values.get("code") or None
    if code:
        clash = Boat.select().join(Customer).where((Customer.port == customer.port_id) & (Boat.code == code))
        if boat is not None:
            clash = clash.where(Boat.id != boat.id)
        if clash.exists():
            raise Refused(f"Le code bateau {code} est déjà utilisé.")
    before = audit.snapshot(boat, BOAT_FIELDS) if boat else None
    row = boat or Boat(customer=customer)
    for name in BOAT_FIELDS:
        setattr(row, name, code if name == "code" else values.get(name))
    with database.atomic():
        row.save()
        audit.record(user, "boat.update" if boat else "boat.create", row, before, audit.snapshot(row, BOAT_FIELDS), ip)
    return row


def add_berth(user, port, values, ip=""):
    code = values["code"].strip().upper()
    if Berth.select().where((Berth.port == port) & (Berth.code == code)).exists():
        raise Refused(f"Le poste {code} existe déjà.")
    with database.atomic():
        berth = Berth.create(
            port=port, code=code, length_cm=values.get("length_cm") or 0, width_cm=values.get("width_cm") or 0
        )
        audit.record(user, "berth.create", berth, None, audit.snapshot(berth, BERTH_FIELDS), ip)
    return berth


def berths_with_holders(port):
    """Every berth with the customer of its current (not cancelled) contract, if any, in one query."""
    holders = (
        Contract.select(Contract.berth, Contract.customer)
        .where(Contract.status != ContractStatus.CANCELLED)
        .alias("holders")
    )
    query = (
        Berth.select(
            Berth,
            Customer.id.alias("holder_id"),
            Customer.last_name.alias("holder_last_name"),
            Customer.first_name.alias("holder_first_name"),
        )
        .join(holders, JOIN.LEFT_OUTER, on=(holders.c.berth_id == Berth.id))
        .join(Customer, JOIN.LEFT_OUTER, on=(Customer.id == holders.c.customer_id))
        .where(Berth.port == port)
        .order_by(Berth.code)
    )
    return list(query.objects())
