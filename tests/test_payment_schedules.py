"""Payment schedules' arithmetic: instalment dates a month apart from the due date, amounts in whole cents that
add up to the invoice, what is owed on a day and what a card payment settles."""

import calendar
import datetime as dt
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from marina_portal.billing import schedules
from marina_portal.models import PaymentSchedule


def invoice(total, due_on, schedule, paid=0):
    return SimpleNamespace(
        total_cents=total,
        due_on=due_on,
        issued_on=due_on,
        payment_schedule=schedule,
        paid_cents=paid,
        balance_cents=total - paid,
    )


@given(
    total=st.integers(min_value=0, max_value=10**9),
    first=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
    count=st.sampled_from([1, 3, 10]),
)
def test_instalments_add_up_to_the_total_a_month_apart(total, first, count):
    parts = schedules.split(total, first, count)
    assert sum(p.amount_cents for p in parts) == total
    assert [p.number for p in parts] == list(range(1, count + 1))
    assert parts[0].due_on == first
    assert all(p.amount_cents == parts[-1].amount_cents for p in parts[1:])  # equal, the remainder on the first
    assert 0 <= parts[0].amount_cents - parts[-1].amount_cents < count
    for before, after in zip(parts, parts[1:]):
        months = (after.due_on.year - before.due_on.year) * 12 + after.due_on.month - before.due_on.month
        assert months == 1
        month_end = calendar.monthrange(after.due_on.year, after.due_on.month)[1]
        assert after.due_on.day == min(first.day, month_end)  # the first's day, or the month's last when shorter


def test_a_due_date_on_the_31st_falls_on_each_month_s_last_day():
    days = [p.due_on for p in schedules.split(100_00, dt.date(2027, 1, 31), 3)]
    assert days == [dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31)]
    assert schedules.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert schedules.add_months(dt.date(2027, 11, 15), 3) == dt.date(2028, 2, 15)


def test_ten_debits_of_1_520_00_and_the_remainder_on_the_first():
    parts = schedules.split(1520_01, dt.date(2027, 2, 14), 10)
    assert [p.amount_cents for p in parts] == [152_01] + [152_00] * 9
    assert parts[-1].due_on == dt.date(2027, 11, 14)


def test_owed_by_a_day_counts_only_instalments_fallen_due_less_what_is_paid():
    due = dt.date(2027, 2, 14)
    paid_once = invoice(1500_00, due, PaymentSchedule.DEBIT_3)
    assert schedules.owed_by(paid_once, dt.date(2027, 2, 13)) == 0
    assert schedules.owed_by(paid_once, due) == 500_00
    assert schedules.owed_by(paid_once, dt.date(2027, 3, 14)) == 1000_00
    one_paid = invoice(1500_00, due, PaymentSchedule.DEBIT_3, paid=500_00)
    assert schedules.owed_by(one_paid, dt.date(2027, 3, 20)) == 500_00
    credited = invoice(1500_00, due, PaymentSchedule.DEBIT_3, paid=1400_00)  # a credit note of 900 €
    assert schedules.owed_by(credited, dt.date(2027, 5, 1)) == 100_00  # never more than the balance
    at_once = invoice(1500_00, due, PaymentSchedule.ONCE)
    assert schedules.owed_by(at_once, due) == 1500_00


def test_a_card_payment_settles_what_is_owed_or_else_the_next_instalment():
    due = dt.date(2027, 2, 14)
    card = invoice(900_00, due, PaymentSchedule.CARD_3)
    assert schedules.to_pay_now(card, dt.date(2027, 1, 20)) == 300_00  # ahead of the first: the first
    assert schedules.to_pay_now(card, dt.date(2027, 3, 20)) == 600_00  # two fallen due, none paid
    first_paid = invoice(900_00, due, PaymentSchedule.CARD_3, paid=300_00)
    assert schedules.to_pay_now(first_paid, dt.date(2027, 2, 20)) == 300_00  # the second, ahead
    assert schedules.first_unpaid(first_paid).number == 2
    assert schedules.to_pay_now(invoice(900_00, due, PaymentSchedule.ONCE, paid=100_00), due) == 800_00
    assert schedules.to_pay_now(invoice(900_00, due, PaymentSchedule.CARD_3, paid=900_00), due) == 0


@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2091, 12, 31)),
    months=st.integers(min_value=0, max_value=9),
)
def test_an_instalment_due_by_a_day_is_a_plain_comparison_of_the_first_due_date(start, day, months):
    assert (schedules.add_months(start, months) <= day) == (start <= schedules.latest_start(day, months))
