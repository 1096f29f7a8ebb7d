"""The harbour office's calendar of berths freed by absences: by day, as CSV and as an iCalendar feed."""

import datetime as dt
import io
import secrets
from collections import defaultdict

import icalendar

from marina_portal.core import csvfiles
from marina_portal.core.db import database
from marina_portal.core.formats import metres
from marina_portal.models import Absence, Berth, BerthLetting, CalendarKey, Contract, Customer, User, utcnow


def absences_between(port, first_day, last_day):
    """Absences (not cancelled) that free a berth on at least one night of [first_day, last_day]."""
    absences = list(
        Absence.select(Absence, Contract, Berth, Customer)
        .join(Contract)
        .join(Berth)
        .switch(Contract)
        .join(Customer)
        .where(
            (Contract.port == port)
            & Absence.cancelled_at.is_null()
            & (Absence.starts_on <= last_day)
            & (Absence.ends_on > first_day)
        )
        .order_by(Absence.starts_on, Berth.code)
    )
    lettings = defaultdict(list)
    if absences:
        for letting in (
            BerthLetting.select()
            .where(BerthLetting.absence.in_([a.id for a in absences]))
            .order_by(BerthLetting.starts_on)
        ):
            lettings[letting.absence_id].append(letting)
    for absence in absences:
        absence.letting_list = lettings[absence.id]
    return absences


def _let_on(absence, day):
    return next((let for let in absence.letting_list if let.starts_on <= day < let.ends_on), None)


def days(port, first_day, count):
    """[(day, [(absence, letting or None), …]), …]: the berths free on each night from first_day."""
    last_day = first_day + dt.timedelta(days=count - 1)
    absences = absences_between(port, first_day, last_day)
    result = []
    for offset in range(count):
        day = first_day + dt.timedelta(days=offset)
        free = [(a, _let_on(a, day)) for a in absences if a.starts_on <= day < a.ends_on]
        result.append((day, free))
    return result, absences


def as_csv(port, first_day, count):
    out = io.StringIO()
    writer = csvfiles.writer(out, delimiter=";")
    writer.writerow(["date", "poste", "longueur_m", "largeur_m", "absence_du", "retour_le", "plaisancier", "loue"])
    for day, free in days(port, first_day, count)[0]:
        for absence, letting in free:
            berth = absence.contract.berth
            writer.writerow(
                [
                    day.isoformat(),
                    berth.code,
                    metres(berth.length_cm, unit=False),
                    metres(berth.width_cm, unit=False),
                    absence.starts_on.isoformat(),
                    absence.ends_on.isoformat(),
                    absence.contract.customer.full_name,
                    "oui" if letting else "non",
                ]
            )
    return "\ufeff" + out.getvalue()  # a BOM so that spreadsheet programs read the accents right


def as_ical(port, first_day, last_day, base_url):
    """One all-day event per absence; DTEND is the return day, which iCalendar treats as exclusive."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Marina Portal//Postes libres//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{port.name} — postes libres")
    host = base_url.split("//", 1)[-1].split("/", 1)[0] or "marina.invalid"
    stamp = utcnow().replace(tzinfo=dt.timezone.utc)
    for absence in absences_between(port, first_day, last_day):
        berth = absence.contract.berth
        event = icalendar.Event()
        event.add("uid", f"absence-{absence.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", absence.starts_on)
        event.add("dtend", absence.ends_on)
        let = " (loué)" if absence.letting_list else ""
        event.add("summary", f"Poste {berth.code} libre{let}")
        event.add(
            "description",
            f"Poste {berth.code}, {metres(berth.length_cm)} × {metres(berth.width_cm)}. "
            f"Absence de {absence.contract.customer.full_name}.",
        )
        calendar.add_component(event)
    return calendar.to_ical()


def feed_key(user):
    """The staff member's own key to the calendar feed, made on first use."""
    found = CalendarKey.get_or_none(CalendarKey.user == user.id)
    return found.key if found else renew_feed_key(user)


def renew_feed_key(user):
    """A new key for that staff member; the old one stops working at once."""
    key = secrets.token_urlsafe(24)
    with database.atomic():
        CalendarKey.delete().where(CalendarKey.user == user.id).execute()
        CalendarKey.create(user=user.id, key=key)
    return key


def feed_owner(key):
    """The staff member a feed key belongs to, while they are still enabled staff; None otherwise."""
    if not key:
        return None
    found = CalendarKey.select(CalendarKey, User).join(User).where(CalendarKey.key == key).first()
    if found is None or not found.user.is_enabled or not found.user.is_staff:
        return None
    return found.user
