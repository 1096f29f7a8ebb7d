"""The harbour office's figures at a glance, each from one aggregate query, and a monthly payments chart."""

import datetime as dt
from typing import Any

from peewee import Case, fn

from marina_portal.billing import schedules
from marina_portal.billing.absence_credits import METHOD as ABSENCE_CREDIT
from marina_portal.billing.absence_credits import NON_CASH_METHODS
from marina_portal.core.formats import paris_today
from marina_portal.models import (
    AttemptStatus,
    BoatChange,
    BoatChangeStatus,
    Contract,
    Customer,
    Invoice,
    InvoiceStatus,
    Mandate,
    MandateStatus,
    Payment,
    PaymentAttempt,
    PaymentNotification,
    Port,
)

CHART_MONTHS = 12
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def amounts_due(port: Port, today: dt.date) -> tuple[int, int, int]:
    """(total still due, overdue amount, overdue invoice count) over invoices with a balance."""
    rows = Invoice.with_paid().where((Invoice.port == port) & (Invoice.status == InvoiceStatus.ISSUED)).alias("inv")
    balance = rows.c.total_cents - rows.c.paid_cents
    # Late: what fell due before today (every instalment so far, for an invoice paid in instalments) less what is paid.
    fallen = schedules.fallen_due_sql(
        today - dt.timedelta(days=1), rows.c.due_on, rows.c.total_cents, rows.c.payment_schedule
    )
    late = fallen - rows.c.paid_cents
    overdue = late > 0
    query = (
        Invoice.select(
            fn.COALESCE(fn.SUM(balance), 0).alias("due"),
            fn.COALESCE(fn.SUM(Case(None, [(late > balance, balance)], Case(None, [(overdue, late)], 0))), 0).alias(
                "overdue"
            ),
            fn.COALESCE(fn.SUM(Case(None, [(overdue, 1)], 0)), 0).alias("overdue_count"),
        )
        .from_(rows)
        .where(balance > 0)
    )
    row = query.dicts().get()
    return int(row["due"]), int(row["overdue"]), int(row["overdue_count"])


def figures(port: Port, today: dt.date | None = None) -> dict[str, Any]:
    today = today or paris_today()
    due, overdue, overdue_count = amounts_due(port, today)
    contracts = dict(
        Contract.select(Contract.status, fn.COUNT(Contract.id))
        .where(Contract.port == port)
        .group_by(Contract.status)
        .tuples()
    )
    since = today - dt.timedelta(days=30)
    cash = Payment.method.not_in(NON_CASH_METHODS)
    credited = Payment.method == ABSENCE_CREDIT
    recent = (
        Payment.select(
            fn.COALESCE(fn.SUM(Case(None, [(cash, 1)], 0)), 0),
            fn.COALESCE(fn.SUM(Case(None, [(cash, Payment.amount_cents)], 0)), 0),
            fn.COALESCE(fn.SUM(Case(None, [(credited, Payment.amount_cents)], 0)), 0),
        )
        .join(Invoice)
        .where((Invoice.port == port) & Payment.cancelled_at.is_null() & (Payment.received_on >= since))
        .tuples()
        .get()
    )
    return {
        "due_cents": due,
        "overdue_cents": overdue,
        "overdue_count": overdue_count,
        "contracts_signed": contracts.get("signed", 0),
        "contracts_sent": contracts.get("signed", 0) + contracts.get("sent", 0),
        "active_mandates": Mandate.select().where(Mandate.status == MandateStatus.ACTIVE).count(),
        "recent_count": recent[0],
        "recent_cents": int(recent[1]),  # money received: absence credits and credit notes are not
        "recent_absence_credit_cents": int(recent[2]),
        "attempts_pending": PaymentAttempt.select()
        .join(Invoice)
        .where((Invoice.port == port) & (PaymentAttempt.status == AttemptStatus.PENDING))
        .count(),
        "mismatches": PaymentNotification.select().where(PaymentNotification.outcome == "mismatch").count(),
        "boat_changes": BoatChange.select()
        .join(Customer)
        .where((Customer.port == port) & (BoatChange.status == BoatChangeStatus.PENDING))
        .count(),
    }


def _month_start(day, back):
    month = day.month - 1 - back
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def monthly_payments(port: Port, today: dt.date | None = None, months: int = CHART_MONTHS) -> list[tuple[str, int]]:
    """[(label, cents)] for the last `months` months, oldest first, from one grouped query."""
    today = today or paris_today()
    starts = [_month_start(today, back) for back in range(months - 1, -1, -1)]
    day = Payment.received_on
    rows = (
        Payment.select(day, fn.SUM(Payment.amount_cents))
        .join(Invoice)
        .where(
            (Invoice.port == port)
            & Payment.cancelled_at.is_null()
            & (day >= starts[0])
            & Payment.method.not_in(NON_CASH_METHODS)
        )
        .group_by(day)
        .tuples()
    )
    sums = {}
    for received_on, cents in rows:
        sums[(received_on.year, received_on.month)] = sums.get((received_on.year, received_on.month), 0) + cents
    return [(f"{MONTHS[s.month - 1]} {s.year}", int(sums.get((s.year, s.month), 0))) for s in starts]


def bar_chart(
    series: list[tuple[str, int]], width: int = 480, height: int = 180, gap: int = 6, bottom: int = 24
) -> dict[str, Any]:
    """Geometry of an SVG bar chart: bars with x, y, width, height, and the scale's top value."""
    top = max([cents for _, cents in series] + [1])
    slot = width / max(1, len(series))
    plot = height - bottom
    bars = []
    for index, (label, cents) in enumerate(series):
        bar_height = round(plot * cents / top, 1)
        bars.append(
            {
                "label": label,
                "short": label.split(" ")[0],
                "cents": cents,
                "x": round(index * slot + gap / 2, 1),
                "width": round(slot - gap, 1),
                "y": round(plot - bar_height, 1),
                "height": bar_height,
                "text_x": round(index * slot + slot / 2, 1),
            }
        )
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "base": plot,
        "top_cents": top,
        "empty": not any(cents for _, cents in series),
    }


def overpaid(port: Port, limit: int = 100) -> list[Invoice]:
    """Invoices paid more than their amount (say a cheque recorded while the boater's card payment went
    through): the excess is for staff to refund or to carry over. One grouped query."""
    paid = fn.SUM(Payment.amount_cents)
    return list(
        Invoice.select(Invoice, Customer, paid.alias("paid_cents"))
        .join(Payment, on=(Payment.invoice == Invoice.id))
        .switch(Invoice)
        .join(Customer)
        .where((Invoice.port == port) & Payment.cancelled_at.is_null())
        .group_by(Invoice.id, Customer.id)
        .having(paid > Invoice.total_cents)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .limit(limit)
    )


def online_watch(port: Port, limit: int = 100) -> tuple[list[PaymentAttempt], list[PaymentNotification]]:
    """Online payments still waiting for the bank, and the bank's notifications that were not recorded."""
    attempts = list(
        PaymentAttempt.select(PaymentAttempt, Invoice, Customer)
        .join(Invoice)
        .switch(PaymentAttempt)
        .join(Customer)
        .where((Invoice.port == port) & (PaymentAttempt.status != AttemptStatus.PAID))
        .order_by(PaymentAttempt.created_at.desc())
        .limit(limit)
    )
    notifications = list(
        PaymentNotification.select()
        .where(PaymentNotification.outcome.not_in(["recorded", "duplicate"]))
        .order_by(PaymentNotification.received_at.desc())
        .limit(limit)
    )
    return attempts, notifications
