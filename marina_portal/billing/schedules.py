"""Payment schedules: an invoice paid in monthly instalments, by direct debit or by card.

The first instalment falls on the invoice's due date, each next one a month later (the 31st becomes the
month's last day). The total is split in equal parts of whole cents, the rounding remainder on the first.
What is owed on a day is every instalment fallen due by then less what is paid (payments, credit notes and
absence credits alike), never more than the balance.
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from peewee import Case

from marina_portal.core.formats import add_months, euros, fr_date
from marina_portal.models import PaymentSchedule

COUNTS = {
    PaymentSchedule.ONCE: 1,
    PaymentSchedule.DEBIT_3: 3,
    PaymentSchedule.DEBIT_10: 10,
    PaymentSchedule.CARD_3: 3,
}
BY_DEBIT = frozenset({PaymentSchedule.DEBIT_3, PaymentSchedule.DEBIT_10})
BY_CARD = frozenset({PaymentSchedule.CARD_3})


@dataclass(frozen=True)
class Instalment:
    number: int  # 1, 2, ...
    due_on: dt.date
    amount_cents: int


def in_instalments(invoice):
    return COUNTS.get(invoice.payment_schedule, 1) > 1


def by_debit(invoice):
    return invoice.payment_schedule in BY_DEBIT


def by_card(invoice):
    return invoice.payment_schedule in BY_CARD


def latest_start(day, months):
    """The latest first due date whose instalment `months` later falls on or before `day` (add_months only grows
    with its start, so "instalment n is due by `day`" is "due date <= latest_start(day, n)": a plain comparison)."""
    start = add_months(day, -months)
    if day.day == calendar.monthrange(day.year, day.month)[1]:  # a month's end is reached from any later day
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start


def fallen_due_sql(day, due_on, total_cents, schedule):
    """The SQL of `fallen_due` for the invoices of a query, given their due date, total and schedule columns, so that
    lists and totals select the late ones in the database (integer division on both SQLite and PostgreSQL; no `%`,
    which Peewee reads as LIKE)."""
    cases = []
    for name, count in COUNTS.items():
        if count == 1:
            continue
        part = total_cents / count
        reached = sum(Case(None, [(due_on <= latest_start(day, n), 1)], 0) for n in range(count))
        remainder = Case(None, [(due_on <= day, total_cents - part * count)], 0)
        cases.append((schedule == name.value, part * reached + remainder))
    return Case(None, cases, Case(None, [(due_on <= day, total_cents)], 0))


def split(total_cents, first_due_on, count):
    """`count` monthly instalments of `total_cents` from `first_due_on`: equal parts, the remainder on the first."""
    part, remainder = divmod(total_cents, count)
    return [Instalment(n + 1, add_months(first_due_on, n), part + (remainder if n == 0 else 0)) for n in range(count)]


def instalments(invoice):
    """The invoice's instalments (one, on its due date, when paid at once)."""
    first = invoice.due_on or invoice.issued_on
    return split(invoice.total_cents, first, COUNTS.get(invoice.payment_schedule, 1))


def shown(invoice):
    """The instalments to show beside an invoice (pages, mail, PDF): none for an invoice paid at once."""
    return instalments(invoice) if in_instalments(invoice) else []


def _unpaid_reach(invoice):
    """The first instalment not covered by what is paid, with what all instalments up to it add up to;
    (None, total) when all are covered."""
    paid, reached = getattr(invoice, "paid_cents", 0), 0
    for instalment in instalments(invoice):
        reached += instalment.amount_cents
        if reached > paid:
            return instalment, reached
    return None, reached


def fallen_due(invoice, day):
    """What the instalments due on or before `day` add up to."""
    return sum(i.amount_cents for i in instalments(invoice) if i.due_on <= day)


def owed_by(invoice, day):
    """What is to be paid by `day` (invoice annotated with paid_cents): the instalments fallen due less what is
    paid, at most the balance, never below zero."""
    return max(0, min(invoice.balance_cents, fallen_due(invoice, day) - getattr(invoice, "paid_cents", 0)))


def to_pay_now(invoice, day):
    """What a payment on `day` settles: what is owed by then or, when nothing is yet, the next instalment (a boater
    may pay ahead). For an invoice paid at once, its balance."""
    if not in_instalments(invoice):
        return max(0, invoice.balance_cents)
    owed = owed_by(invoice, day)
    if owed:
        return owed
    unpaid, reached = _unpaid_reach(invoice)
    if unpaid is None:
        return max(0, invoice.balance_cents)
    return max(0, min(invoice.balance_cents, reached - getattr(invoice, "paid_cents", 0)))


def reference(invoice, day):
    """How a collection on `day` names the invoice: its number, with the last instalment fallen due (« 2/10 »)."""
    if not in_instalments(invoice):
        return invoice.number
    parts = instalments(invoice)
    reached = max((i.number for i in parts if i.due_on <= day), default=1)
    return f"{invoice.number} échéance {reached}/{len(parts)}"


def first_unpaid(invoice):
    """The earliest instalment not yet covered by what is paid, or None when all are."""
    return _unpaid_reach(invoice)[0]


def payment_terms(invoice):
    """The schedule in words for the invoice's payment terms (PDF, Factur-X), or "" when paid at once."""
    if not in_instalments(invoice):
        return ""
    parts = " ; ".join(f"{fr_date(i.due_on)} : {euros(i.amount_cents)}" for i in instalments(invoice))
    return f"Échéancier : {PaymentSchedule.label_of(invoice.payment_schedule)} — {parts}."
