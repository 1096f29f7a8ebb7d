"""The waiting list counts days in Paris: the rank's day applied and the yearly confirmation's year."""

import datetime as dt

from marina_portal.models import Port, WaitingListApplication
from marina_portal.port_life import waiting_list


def _application(port, name, applied_utc, length):
    return WaitingListApplication.create(
        port=port,
        last_name=name,
        email=f"{name.lower()}@example.com",
        length_cm=length,
        applied_at=applied_utc,
        confirmed_at=applied_utc,
        status="active",
    )


def test_an_applicant_at_half_past_midnight_in_paris_ranks_after_the_day_before(app):
    with app.app_context():
        port = Port.get()
        _application(port, "EVENING", dt.datetime(2026, 6, 10, 21, 30), 1200)  # 10 June, 23:30 in Paris
        _application(port, "NIGHT", dt.datetime(2026, 6, 10, 22, 30), 700)  # 11 June, 00:30 in Paris
        assert [a.last_name for a in waiting_list.ranked(port)] == ["EVENING", "NIGHT"]


def test_a_confirmation_just_after_midnight_in_paris_counts_for_the_new_year(app):
    with app.app_context():
        port = Port.get()
        deadline = dt.date(2027, 3, 15)
        # confirmed on 16 March 2026 at 00:30 in Paris (still the 15th in UTC): the year before the deadline
        keen = _application(port, "KEEN", dt.datetime(2026, 3, 15, 23, 30), 800)
        assert not waiting_list.due_for(keen, deadline)
