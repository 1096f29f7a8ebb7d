"""What a boater still has to do, or is waiting for, as the home page's cards: each with its one action.

A fixed number of queries whatever the boater's number of invoices, contracts or absences.
"""

from dataclasses import dataclass

from marina_portal.billing import statement
from marina_portal.boats import papers
from marina_portal.contracts import berth_contracts
from marina_portal.core.formats import paris_today
from marina_portal.models import Absence, Berth, Boat, BoatChange, Contract, ContractStatus
from marina_portal.port_life import waiting_list
from marina_portal.sepa import planned


@dataclass
class Step:
    kind: str  # owed, to_sign, debit, insurance, offer, confirm_interest, boat_change, absence
    subject: object = None  # the invoice, contract, application, change or absence the card is about
    items: tuple = ()  # for "debit": the invoices the mandate collects
    date: object = None  # a date the card names (collection, deadline, validity)


@dataclass
class Home:
    steps: list  # empty: « Tout est à jour »
    has_contract: bool  # a waiting-list applicant has none, and is not offered a mandate
    holds_berth: bool


def _contracts(customer_id):
    return list(
        berth_contracts.with_facts()
        .where((Contract.customer == customer_id) & (Contract.status != ContractStatus.CANCELLED))
        .order_by(Contract.starts_on, Contract.id)
    )


def for_boater(user, port, today=None):
    """The home page of a boater with a customer record: its cards, and which menus apply to them."""
    today = today or paris_today()
    customer_id = user.customer_id
    account = statement.statement(customer_id)
    plan = planned.for_customer(customer_id)
    every_contract = _contracts(customer_id)
    contracts = [c for c in every_contract if c.ends_on >= today]
    steps = []
    debited = [i for i in account.invoices if plan.collects(i)]
    for invoice in account.invoices:
        if invoice.balance_cents > 0 and invoice not in debited:
            steps.append(Step("owed", invoice))
    steps.extend(Step("to_sign", c) for c in contracts if c.status == "sent")
    if debited:
        dates = {plan.date_for(i) for i in debited}
        steps.append(Step("debit", items=tuple(debited), date=dates.pop() if len(dates) == 1 else None))
    holds_berth = any(c.berth_id for c in contracts)
    if holds_berth:
        insured = papers.insured_until(papers.for_customer(customer_id))
        if insured is None or insured < today:
            steps.append(Step("insurance", date=insured))
    steps.extend(_waiting_list(user, port, today))
    steps.extend(Step("boat_change", change) for change in _pending_changes(customer_id))
    steps.extend(Step("absence", absence) for absence in _coming_absences(customer_id, today))
    return Home(steps, has_contract=bool(every_contract), holds_berth=holds_berth)


def _waiting_list(user, port, today):
    application = waiting_list.for_user(user)
    if application is None:
        return []
    if application.status == "offered":
        return [Step("offer", application, date=application.offer_deadline)]
    deadline = waiting_list.next_deadline(port, today) if application.status == "active" else None
    if deadline is not None and waiting_list.due_for(application, deadline):
        return [Step("confirm_interest", application, date=deadline)]
    return []


def _pending_changes(customer_id):
    return list(
        BoatChange.select(BoatChange, Boat)
        .join(Boat, on=(BoatChange.boat == Boat.id))
        .where((BoatChange.customer == customer_id) & (BoatChange.status == "pending"))
        .order_by(BoatChange.requested_at)
    )


def _coming_absences(customer_id, today):
    return list(
        Absence.select(Absence, Contract, Berth)
        .join(Contract)
        .join(Berth)
        .where((Contract.customer == customer_id) & Absence.cancelled_at.is_null() & (Absence.ends_on >= today))
        .order_by(Absence.starts_on)
    )
