"""Readings: an index typed on the pontoon (with its photo) or imported, checked against the meter's last one,
and the consumption it closes; swapping a meter (closing index, then the new meter's opening index).

A reading must follow the meter's last one in time, never lie in the future, and never go below it: an
index that goes down is a typing mistake or a swapped meter, and a swap is recorded as such.
"""

import datetime as dt

import filetype

from marina_portal.core import audit
from marina_portal.core.db import database, write_locked
from marina_portal.core.formats import fr_datetime, quantity, to_paris
from marina_portal.core.i18n import N_
from marina_portal.core.storage import save_bytes
from marina_portal.energy import meters
from marina_portal.energy.meters import MeterRefused
from marina_portal.models import Consumption, Contract, ContractStatus, Meter, MeterReading, utcnow

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
FUTURE_MARGIN = dt.timedelta(minutes=10)  # a phone's clock a little ahead is no reading from the future
MAX_INDEX_MILLI = 10**12


class ReadingRefused(MeterRefused):
    """A reading that can't be recorded, with the words to show."""


def check_photo(data):
    """The photo's content type, read from its bytes (never its name); ReadingRefused otherwise."""
    if not data:
        return None
    if len(data) > PHOTO_MAX_BYTES:
        raise ReadingRefused(N_("La photo dépasse 10 Mo : reprenez-la en qualité normale."))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in PHOTO_TYPES:
        raise ReadingRefused(N_("La photo doit être une image JPEG, PNG ou WebP."))
    return kind.mime


def check_next(meter, last, read_at, index_milli, role="reading", now=None):
    """Refuse a reading that can't follow `last` (the meter's last reading, or None) on this meter."""
    now = now or utcnow()
    if read_at is None:
        raise ReadingRefused(N_("Indiquez la date du relevé."))
    if index_milli is None or index_milli < 0 or index_milli >= MAX_INDEX_MILLI:
        raise ReadingRefused(N_("Indiquez l'index lu sur le compteur, par exemple 1520,5."))
    if read_at > now + FUTURE_MARGIN:
        raise ReadingRefused(N_("La date du relevé (%(date)s) est dans le futur."), date=fr_datetime(read_at))
    if read_at < meters.start_of_day(meter.installed_on):
        raise ReadingRefused(N_("La date du relevé précède la pose du compteur n° %(number)s."), number=meter.number)
    if meter.removed_on is not None and role != "closing" and read_at > meters.end_of_day(meter.removed_on):
        raise ReadingRefused(
            N_("Le compteur n° %(number)s a été remplacé le %(date)s : relevez le nouveau compteur."),
            number=meter.number,
            date=meter.removed_on.strftime("%d/%m/%Y"),
        )
    if last is None:
        return
    if read_at <= last.read_at:
        raise ReadingRefused(
            N_("Un relevé plus récent existe déjà pour ce compteur (le %(date)s, index %(index)s)."),
            date=fr_datetime(last.read_at),
            index=quantity(last.index_milli),
        )
    if index_milli < last.index_milli:
        raise ReadingRefused(
            N_(
                "L'index baisse (%(last)s puis %(index)s) sans remplacement du compteur : vérifiez le relevé, "
                "ou enregistrez le remplacement du compteur."
            ),
            last=quantity(last.index_milli),
            index=quantity(index_milli),
        )


def holder_at(berth_id, day):
    """The contract (not cancelled) holding that berth on that day, or None."""
    if berth_id is None:
        return None
    return (
        Contract.select()
        .where(
            (Contract.berth == berth_id)
            & (Contract.status != ContractStatus.CANCELLED)
            & (Contract.starts_on <= day)
            & (Contract.ends_on >= day)
        )
        .order_by(Contract.starts_on.desc(), Contract.id.desc())
        .first()
    )


def consumption_between(meter, start, end):
    """The consumption from reading `start` to `end`, charged to the berth's holder on the day of `end`."""
    contract = holder_at(meter.berth_id, to_paris(end.read_at).date())
    return Consumption.create(
        meter=meter,
        customer=contract.customer_id if contract else None,
        contract=contract,
        start_reading=start,
        end_reading=end,
        quantity_milli=end.index_milli - start.index_milli,
    )


def record(
    user,
    meter,
    read_at,
    index_milli,
    photo=None,
    source="staff",
    external_id=None,
    role="reading",
    ip="",
    now=None,
):
    """Record a reading (and its photo) after the meter's last one; return it. ReadingRefused otherwise."""
    content_type = check_photo(photo)
    stored = save_bytes("readings", photo, PHOTO_TYPES[content_type])[0] if content_type else None
    with write_locked(Meter.select().where(Meter.id == meter.id)):
        meter = Meter.get_by_id(meter.id)
        last = meters.latest_reading(meter)
        check_next(meter, last, read_at, index_milli, role, now)
        reading = MeterReading.create(
            meter=meter,
            read_at=read_at,
            index_milli=index_milli,
            role=role,
            source=source,
            photo=stored,
            photo_type=content_type or "",
            external_id=external_id,
            taken_by=getattr(user, "id", None),
        )
        if last is not None:
            reading.consumption = consumption_between(meter, last, reading)
        audit.record(
            user,
            "meter.reading",
            meter,
            None,
            {"index_milli": index_milli, "read_at": read_at.isoformat(), "source": source, "photo": bool(stored)},
            ip,
        )
    return reading


def swap(user, meter, on, closing_index_milli, new_number, opening_index_milli, ip=""):
    """Replace `meter` on day `on`: its closing index ends it, the new meter starts at its opening index."""
    if meter.removed_on is not None:
        raise ReadingRefused(N_("Ce compteur a déjà été remplacé."))
    if on is None:
        raise ReadingRefused(N_("Indiquez la date du remplacement."))
    if on > to_paris(utcnow()).date():
        raise ReadingRefused(N_("La date du remplacement ne peut pas être dans le futur."))
    if closing_index_milli is None:
        raise ReadingRefused(N_("Indiquez l'index de fin de l'ancien compteur."))
    last = meters.latest_reading(meter)
    if last is not None and closing_index_milli < last.index_milli:
        raise ReadingRefused(
            N_("L'index de fin (%(closing)s) est inférieur au dernier relevé (%(last)s)."),
            closing=quantity(closing_index_milli),
            last=quantity(last.index_milli),
        )
    with database.atomic():
        record(
            user, meter, meters.end_of_day(on), closing_index_milli, role="closing", ip=ip, now=meters.end_of_day(on)
        )
        Meter.update(removed_on=on).where(Meter.id == meter.id).execute()
        new = meters.add(
            user,
            meter.port,
            meter.berth,
            new_number,
            meter.kind,
            on,
            opening_index_milli,
            meter.amperage,
            meter.pedestal,
            ip,
        )
        Meter.update(replaces=meter.id).where(Meter.id == new.id).execute()
        audit.record(
            user, "meter.swap", meter, None, {"closing_index_milli": closing_index_milli, "new_meter": new.id}, ip
        )
    return Meter.get_by_id(new.id)


def history(meter, limit=None):
    """The meter's readings, newest first (corrected ones too: the history is kept)."""
    query = (
        MeterReading.select()
        .where(MeterReading.meter == meter)
        .order_by(MeterReading.read_at.desc(), MeterReading.id.desc())
    )
    return list(query.limit(limit) if limit else query)


def reading_for_staff(port, reading_id):
    return (
        MeterReading.select(MeterReading, Meter)
        .join(Meter)
        .where((MeterReading.id == reading_id) & (Meter.port == port))
        .first()
    )


def walk(port):
    """The round on the pontoons: every current meter with its berth and last reading, by berth code."""
    rows = meters.for_port(port)
    last = {}
    if rows:
        for reading in (
            MeterReading.select()
            .where(MeterReading.meter.in_([m.id for m in rows]) & MeterReading.replaced_by.is_null())
            .order_by(MeterReading.read_at, MeterReading.id)
        ):
            last[reading.meter_id] = reading
    for meter in rows:
        meter.last_reading = last.get(meter.id)
    return rows
