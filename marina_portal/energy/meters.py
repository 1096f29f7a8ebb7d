"""Meters on the pedestals: kinds and units, the port's list, and adding one with its opening index.

Swapping a meter (closing index, then a new meter's opening index) is in readings.py, with the readings.
"""

import datetime as dt

from peewee import IntegrityError

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.formats import PARIS, paris_today
from marina_portal.core.i18n import N_
from marina_portal.core.refusals import Refusal
from marina_portal.models import Berth, Meter, MeterReading

KINDS = {"electricity": N_("Électricité"), "water": N_("Eau")}
UNITS = {"electricity": "kWh", "water": "m³"}
FIELDS = ("berth", "pedestal", "number", "kind", "unit", "amperage", "installed_on", "removed_on", "replaces")


class MeterRefused(Refusal):
    """A meter that can't be added or swapped, with the words to show."""


def start_of_day(day):
    """The UTC moment of 00:00 in Paris on `day` (an opening index is read as the day starts)."""
    return dt.datetime.combine(day, dt.time(0, 0), PARIS).astimezone(dt.timezone.utc).replace(tzinfo=None)


def end_of_day(day):
    """The UTC moment of 23:59 in Paris on `day` (a closing index is read as the day ends)."""
    return dt.datetime.combine(day, dt.time(23, 59), PARIS).astimezone(dt.timezone.utc).replace(tzinfo=None)


def for_port(port, current_only=True):
    """The port's meters with their berth, by berth code then kind."""
    query = Meter.select(Meter, Berth).join(Berth, on=(Meter.berth == Berth.id)).where(Meter.port == port)
    if current_only:
        query = query.where(Meter.removed_on.is_null())
    return list(query.order_by(Berth.code, Meter.kind, Meter.number))


def of_port(port, meter_id):
    return Meter.get_or_none((Meter.id == meter_id) & (Meter.port == port))


def by_number(port):
    """{meter number: meter} of every meter of the port, the removed ones too (an export may name them)."""
    return {m.number: m for m in Meter.select().where(Meter.port == port)}


def latest_reading(meter):
    """The meter's last reading still standing (a corrected one gives way to its correction)."""
    return (
        MeterReading.select()
        .where((MeterReading.meter == meter) & MeterReading.replaced_by.is_null())
        .order_by(MeterReading.read_at.desc(), MeterReading.id.desc())
        .first()
    )


def _check(port, berth, number, kind, installed_on):
    number = (number or "").strip()
    if not number or len(number) > 40:
        raise MeterRefused(N_("Indiquez le numéro du compteur (40 caractères au plus)."))
    if kind not in KINDS:
        raise MeterRefused(N_("Choisissez le type de compteur : électricité ou eau."))
    if berth is None or berth.port_id != port.id:
        raise MeterRefused(N_("Choisissez le poste du compteur."))
    if installed_on is None:
        raise MeterRefused(N_("Indiquez la date de pose du compteur."))
    if installed_on > paris_today():
        raise MeterRefused(N_("La date de pose ne peut pas être dans le futur."))
    return number


def add(user, port, berth, number, kind, installed_on, opening_index_milli=0, amperage=0, pedestal="", ip=""):
    """A new meter on a berth, with its opening index read the day it was put in."""
    number = _check(port, berth, number, kind, installed_on)
    if opening_index_milli is None or opening_index_milli < 0:
        raise MeterRefused(N_("Indiquez l'index de départ du compteur, par exemple 0 ou 1520,5."))
    try:
        with database.atomic():
            meter = Meter.create(
                port=port,
                berth=berth,
                number=number,
                kind=kind,
                unit=UNITS[kind],
                amperage=max(0, amperage or 0),
                pedestal=(pedestal or "").strip()[:40],
                installed_on=installed_on,
            )
            MeterReading.create(
                meter=meter,
                read_at=start_of_day(installed_on),
                index_milli=opening_index_milli,
                role="opening",
                source="staff",
                taken_by=getattr(user, "id", None),
            )
            audit.record(user, "meter.add", meter, None, audit.snapshot(meter, FIELDS), ip)
    except IntegrityError:
        raise MeterRefused(N_("Le compteur n° %(number)s existe déjà."), number=number) from None
    return meter
