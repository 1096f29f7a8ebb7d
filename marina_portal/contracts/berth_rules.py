"""The one rule on berths, whoever makes the contract (waiting-list offer, staff form, import): a berth holds
one contract at a time, and only a boat that fits it (no longer than its length, no wider than its width)."""

from marina_portal.core.formats import fr_date, metres
from marina_portal.core.refusals import Refusal
from marina_portal.models import Berth, Boat, Contract, ContractStatus

LIVE = Contract.status != ContractStatus.CANCELLED  # a cancelled contract frees its berth


class BerthRefused(Refusal, ValueError):
    """Why the contract cannot have this berth, in French."""


def holders(berth_id, starts_on, ends_on, except_contract=None, port=None):
    """Live contracts on this berth whose period overlaps [starts_on, ends_on] (both days included)."""
    query = Contract.select().where(
        (Contract.berth == berth_id) & LIVE & (Contract.starts_on <= ends_on) & (Contract.ends_on >= starts_on)
    )
    if except_contract is not None:
        query = query.where(Contract.id != except_contract)
    return list(query.order_by(Contract.starts_on))


def size_problem(berth, length_cm, beam_cm):
    """Why a boat of that size does not fit the berth, or None (an unknown size, 0, is not held against it)."""
    if berth.length_cm and length_cm and length_cm > berth.length_cm:
        return (
            f"Le bateau ({metres(length_cm)} de long) est plus long que le poste {berth.code} "
            f"({metres(berth.length_cm)})."
        )
    if berth.width_cm and beam_cm and beam_cm > berth.width_cm:
        return (
            f"Le bateau ({metres(beam_cm)} de large) est plus large que le poste {berth.code} "
            f"({metres(berth.width_cm)})."
        )
    return None


def check(berth_id, boat_id, starts_on, ends_on, except_contract=None):
    """Raise BerthRefused when the berth is taken for part of the period or the boat does not fit."""
    if not berth_id:
        return
    berth = Berth.get_by_id(berth_id)
    taken = holders(berth.id, starts_on, ends_on, except_contract)
    if taken:
        other = taken[0]
        raise BerthRefused(
            f"Le poste {berth.code} est déjà attribué du {fr_date(other.starts_on)} au {fr_date(other.ends_on)} "
            f"(contrat n° {other.number}) : choisissez un autre poste ou d'autres dates."
        )
    if boat_id:
        boat = Boat.get_by_id(boat_id)
        problem = size_problem(berth, boat.length_cm, boat.beam_cm)
        if problem:
            raise BerthRefused(problem)


def fitting_free(port, length_cm, beam_cm, starts_on, ends_on):
    """The port's berths that are free for the whole period and take a boat of that size (two queries)."""
    taken = {
        row.berth_id
        for row in Contract.select(Contract.berth).where(
            (Contract.port == port)
            & Contract.berth.is_null(False)
            & LIVE
            & (Contract.starts_on <= ends_on)
            & (Contract.ends_on >= starts_on)
        )
    }
    return [
        berth
        for berth in Berth.select().where(Berth.port == port).order_by(Berth.code)
        if berth.id not in taken and size_problem(berth, length_cm, beam_cm) is None
    ]
