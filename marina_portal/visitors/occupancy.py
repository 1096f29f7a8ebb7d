"""The port by night for the office: on each berth, its holder, their absence, a visitor, or nobody."""

import datetime as dt

from marina_portal.models import Berth, Contract, Customer, VisitorStay
from marina_portal.visitors import availability

DAYS = 14


def grid(port, first, count=DAYS):
    """(nights, [(berth, [cell, ...]), ...]); a cell is (state, words): holder, absent, let, visitor or free."""
    nights = availability.nights_of(first, count)
    rows = []
    stays = {}
    for berth in Berth.select().where(Berth.port == port).order_by(Berth.code):
        cells = []
        for night, state, detail in availability.nights(berth, first, count):
            if state == "holder":
                cells.append(("holder", _holder(detail)))
            elif state == "visitor":
                if detail not in stays:
                    stays[detail] = VisitorStay.get_by_id(detail)
                stay = stays[detail]
                cells.append(("visitor", f"{stay.boat_name} ({'payé' if stay.status != 'held' else 'en paiement'})"))
            elif state == "let":
                cells.append(("let", "loué (capitainerie)"))
            elif detail is not None:
                cells.append(("absent", f"absent : {_holder(Contract.get_by_id(detail.contract_id))}"))
            else:
                cells.append(("free", "libre"))
        rows.append((berth, cells))
    return nights, rows


def _holder(contract):
    return Customer.get_by_id(contract.customer_id).full_name


def parse_first(text, today):
    try:
        return dt.date.fromisoformat(text) if text else today
    except ValueError:
        return today
