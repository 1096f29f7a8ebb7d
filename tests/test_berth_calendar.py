"""The harbour office's calendar of free berths: by day, as CSV, as an iCalendar feed a real parser reads."""

import csv
import datetime as dt
import io
import re

import icalendar
import pytest

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Absence, BerthLetting, Contract, Customer, User

TODAY = paris_today()


@pytest.fixture
def absences(app):
    """Jean's B-12 free from today+3 to today+7 (let two nights), Sophie's C-03 from today+5 to today+6."""
    with app.app_context():
        Contract.update(ends_on=TODAY + dt.timedelta(days=400)).execute()
        contracts = {c.customer.code: c for c in Contract.select(Contract, Customer).join(Customer)}
        jean = Absence.create(
            contract=contracts["C0001"], starts_on=TODAY + dt.timedelta(days=3), ends_on=TODAY + dt.timedelta(days=7)
        )
        BerthLetting.create(
            absence=jean, starts_on=jean.starts_on, ends_on=jean.starts_on + dt.timedelta(days=2), revenue_cents=9000
        )
        Absence.create(
            contract=contracts["C0002"], starts_on=TODAY + dt.timedelta(days=5), ends_on=TODAY + dt.timedelta(days=6)
        )
        Absence.create(
            contract=contracts["C0002"],
            starts_on=TODAY + dt.timedelta(days=10),
            ends_on=TODAY + dt.timedelta(days=12),
            cancelled_at=dt.datetime(2026, 1, 1),
        )
        database.close()


def test_calendar_by_day(client, auth, absences):
    auth.staff()
    page = client.get("/staff/port/calendar").get_data(as_text=True)
    assert "B-12" in page and "C-03" in page and "DUPONT JEAN" in page
    assert "10,00 × 3,50 m" in page
    page = page.split("<h2>Par jour</h2>")[1]
    night = (TODAY + dt.timedelta(days=5)).strftime("%d/%m/%Y")
    row = re.search(rf"<td>{night}</td>\s*<td>([^<]*)</td>", page).group(1)
    assert row == "B-12, C-03"
    first = (TODAY + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    assert re.search(rf"<td>{first}</td>\s*<td>B-12 \(loué\)</td>", page)


def test_calendar_as_csv(client, auth, absences):
    auth.staff()
    response = client.get(f"/staff/port/calendar.csv?from={TODAY.isoformat()}&days=14")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 4 + 1  # four nights on B-12, one on C-03; the cancelled absence is not there
    b12 = [r for r in rows if r["poste"] == "B-12"]
    assert [r["loue"] for r in b12] == ["oui", "oui", "non", "non"]
    assert b12[0]["longueur_m"] == "10,00" and b12[0]["date"] == (TODAY + dt.timedelta(days=3)).isoformat()


def test_calendar_as_icalendar_feed(client, auth, absences):
    auth.staff()
    response = client.get("/staff/port/calendar.ics")
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.get_data())
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [str(e["summary"]) for e in events] == ["Poste B-12 libre (loué)", "Poste C-03 libre"]
    assert events[0].decoded("dtstart") == TODAY + dt.timedelta(days=3)
    assert events[0].decoded("dtend") == TODAY + dt.timedelta(days=7)
    assert len({str(e["uid"]) for e in events}) == 2


def test_feed_key_lets_a_calendar_program_subscribe(client, auth, absences, app):
    auth.staff()
    page = client.get("/staff/port/calendar").get_data(as_text=True)
    feed = re.search(r"(http://127\.0\.0\.1:5000/staff/port/calendar\.ics\?key=[^\s<]+)", page).group(1)
    anonymous = app.test_client()
    response = anonymous.get(feed.replace("http://127.0.0.1:5000", ""))
    assert response.status_code == 200
    assert icalendar.Calendar.from_ical(response.get_data()).walk("VEVENT")
    assert anonymous.get("/staff/port/calendar.ics").status_code == 404
    assert anonymous.get("/staff/port/calendar.ics?key=forged").status_code == 404


def test_staff_pages_are_for_staff_only(client, auth):
    for url in (
        "/staff/port/",
        "/staff/port/calendar",
        "/staff/port/calendar.csv",
        "/staff/port/waiting-list",
        "/staff/port/news",
    ):
        assert client.get(url).status_code == 302
    auth.boater("C0001")
    for url in (
        "/staff/port/",
        "/staff/port/calendar",
        "/staff/port/calendar.csv",
        "/staff/port/waiting-list",
        "/staff/port/news",
        "/staff/port/absences/1/letting",
    ):
        assert client.get(url).status_code == 403
    assert client.get("/staff/port/calendar.ics").status_code == 404


def test_settings_credit_rule_and_confirmation_date(app, client, auth, form_post):
    from marina_portal.models import Port

    auth.staff()
    assert "Crédit des absences" in client.get("/staff/port/").get_data(as_text=True)
    response = form_post("/staff/port/", "/staff/port/settings/credit", mode="per_night", value="12,50")
    assert response.status_code == 303
    form_post("/staff/port/", "/staff/port/settings/confirm-date", confirm_on="2027-03-15")
    with app.app_context():
        port = Port.get()
        assert (port.absence_credit_mode, port.absence_credit_value) == ("per_night", 1250)
        assert port.waiting_list_confirm_on == dt.date(2027, 3, 15)
    response = form_post("/staff/port/", "/staff/port/settings/credit", mode="percent", value="150")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Le pourcentage doit être compris entre 0 et 100." in page
    page = client.get("/staff/port/").get_data(as_text=True)
    assert "Une nuit offerte toutes les N nuits louées" in page
    response = form_post("/staff/port/", "/staff/port/settings/credit", mode="free_nights", value="3")
    assert response.status_code == 303
    with app.app_context():
        port = Port.get()
        assert (port.absence_credit_mode, port.absence_credit_value) == ("free_nights", 3)
    assert 'value="3"' in client.get("/staff/port/").get_data(as_text=True)
    response = form_post("/staff/port/", "/staff/port/settings/credit", mode="free_nights", value="0")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Indiquez un nombre de nuits louées entre 1 et 365." in page


def test_odd_periods_fall_back_to_today(client, auth):
    auth.staff()
    for query in ("from=0001-01-01&days=400", "from=9999-12-31&days=5", "from=nonsense&days=²", "days=-3"):
        assert client.get(f"/staff/port/calendar?{query}").status_code == 200
        assert client.get(f"/staff/port/calendar.csv?{query}").status_code == 200


def _feed_path(client):
    page = client.get("/staff/port/calendar").get_data(as_text=True)
    return re.search(r"http://127\.0\.0\.1:5000(/staff/port/calendar\.ics\?key=[^\s<]+)", page).group(1)


def test_each_staff_member_has_a_feed_key_revoked_with_their_account(app, absences):
    from conftest import Auth, csrf_token

    admin, agent = app.test_client(), app.test_client()
    Auth(app, admin).staff(role="admin", email="chef@example.com")
    Auth(app, agent).staff(role="agent", email="agent@example.com")
    mine, theirs = _feed_path(admin), _feed_path(agent)
    assert mine != theirs and _feed_path(agent) == theirs  # one key each, kept from page to page
    anonymous = app.test_client()
    assert anonymous.get(theirs).status_code == 200
    with app.app_context():
        agent_id = User.get(User.email == "agent@example.com").id
    page = admin.get("/staff/team").get_data(as_text=True)
    admin.post(
        f"/staff/team/{agent_id}", data={"csrf_token": csrf_token(page), "role": "agent", "enabled": "0"}
    )  # switched off
    with app.app_context():
        assert not User.get_by_id(agent_id).is_enabled
    assert anonymous.get(theirs).status_code == 404
    assert anonymous.get(mine).status_code == 200


def test_renewing_a_feed_key_revokes_the_old_one(app, client, auth, absences):
    from conftest import csrf_token

    auth.staff()
    old = _feed_path(client)
    page = client.get("/staff/port/calendar").get_data(as_text=True)
    assert client.post("/staff/port/calendar/key", data={"csrf_token": csrf_token(page)}).status_code == 303
    new = _feed_path(client)
    anonymous = app.test_client()
    assert new != old and anonymous.get(old).status_code == 404 and anonymous.get(new).status_code == 200
