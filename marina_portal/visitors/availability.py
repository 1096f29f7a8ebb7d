"""Which nights a berth is free for a visitor: no contract that night, or its holder's declared absence; and
neither a visitor (paid, or holding it while paying) nor a letting the office recorded on that night.

A night is named by its date (the visitor arrives that day, leaves the next morning).
"""

import datetime as dt

from marina_portal.models import (
    Absence,
    BerthLetting,
    Contract,
    ContractStatus,
    VisitorNight,
    VisitorStay,
    VisitorStayStatus,
    utcnow,
)

MAX_NIGHTS = 14
BOOK_AHEAD_DAYS = 60


def nights_of(arrives_on, nights):
    return [arrives_on + dt.timedelta(days=n) for n in range(nights)]


def taken_nights(berth_id, first, last, now=None):
    """{night: stay id} of visitors on the berth: paid ones, and holds not yet expired."""
    now = now or utcnow()
    rows = (
        VisitorNight.select(VisitorNight.night, VisitorNight.stay)
        .join(VisitorStay)
        .where(
            (VisitorNight.berth == berth_id)
            & VisitorNight.night.between(first, last)
            & (
                VisitorStay.status.in_((VisitorStayStatus.PAID, VisitorStayStatus.CONFLICT))
                | ((VisitorStay.status == VisitorStayStatus.HELD) & (VisitorStay.held_until > now))
            )
        )
    )
    return {night: stay_id for night, stay_id in rows.tuples()}


def _contracts(berth_id, first, last):
    return list(
        Contract.select()
        .where(
            (Contract.berth == berth_id)
            & (Contract.status != ContractStatus.CANCELLED)
            & (Contract.starts_on <= last)
            & (Contract.ends_on >= first)
        )
        .order_by(Contract.starts_on)
    )


def _absences(contract_ids, first, last):
    if not contract_ids:
        return []
    return list(
        Absence.select()
        .where(
            Absence.contract.in_(contract_ids)
            & Absence.cancelled_at.is_null()
            & (Absence.starts_on <= last)
            & (Absence.ends_on > first)
        )
        .order_by(Absence.starts_on)
    )


def nights(berth, first, count, now=None):
    """[(night, state, detail)] for `count` nights from `first`: state is "free" (detail: the Absence that frees
    it, or None for a berth without contract), "holder" (detail: the Contract), "visitor" (detail: the stay id)
    or "let" (detail: the office's BerthLetting)."""
    last = first + dt.timedelta(days=count - 1)
    contracts = _contracts(berth.id, first, last)
    absences = _absences([c.id for c in contracts], first, last)
    lettings = []
    if absences:
        lettings = list(
            BerthLetting.select().where(
                BerthLetting.absence.in_([a.id for a in absences])
                & (BerthLetting.starts_on <= last)
                & (BerthLetting.ends_on > first)
            )
        )
    visitors = taken_nights(berth.id, first, last, now)
    result = []
    for night in nights_of(first, count):
        if night in visitors:
            result.append((night, "visitor", visitors[night]))
            continue
        letting = next((let for let in lettings if let.starts_on <= night < let.ends_on), None)
        if letting is not None:  # the office's (a visitor's own letting covers only nights found above)
            result.append((night, "let", letting))
            continue
        contract = next((c for c in contracts if c.starts_on <= night <= c.ends_on), None)
        if contract is None:
            result.append((night, "free", None))
            continue
        absence = next((a for a in absences if a.contract_id == contract.id and a.starts_on <= night < a.ends_on), None)
        result.append((night, "free", absence) if absence else (night, "holder", contract))
    return result
