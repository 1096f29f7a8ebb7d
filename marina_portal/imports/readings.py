"""The meter readings a pedestal system exports (`import readings FILE`): every line checked, then all written.

Columns (docs/import.md): `meter`* (the meter's number), `read_at`* (date, with or without the time, Paris
time), `index`* (the meter's index, up to three decimals), `reading_id` (the pedestal system's own id).
Refused lines: an unknown meter, a date in the future, an index going down without a meter swap, a reading
older than the meter's last one. A line already imported (same reading_id, or same meter, time and index)
is counted unchanged, so a file imported twice writes nothing the second time.
"""

import csv
import datetime as dt
import re
from types import SimpleNamespace

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.formats import PARIS, parse_decimal, parse_french_date
from marina_portal.energy import meters, readings
from marina_portal.imports.csvfile import Problem, Report, decode, read_rows
from marina_portal.models import MeterReading

_TIME = re.compile(r"^(.+?)[ T](\d{1,2})[:h](\d{2})(?::(\d{2}))?$")


def parse_moment(raw):
    """'31/05/2026 23:30', '2026-05-31T23:30', '31/05/2026' (noon) in Paris time -> naive UTC; None if unreadable."""
    raw = (raw or "").strip()
    found = _TIME.match(raw)
    day = parse_french_date(found.group(1) if found else raw)
    if day is None:
        return None
    if found:
        hour, minute, second = int(found.group(2)), int(found.group(3)), int(found.group(4) or 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
        moment = dt.datetime.combine(day, dt.time(hour, minute, second), PARIS)
    else:
        moment = dt.datetime.combine(day, dt.time(12, 0), PARIS)
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


class Readings:
    """The `readings` kind of the import page and command: rules of its own, not rows matched on a code."""

    columns = (
        SimpleNamespace(name="meter", required=True),
        SimpleNamespace(name="read_at", required=True),
        SimpleNamespace(name="index", required=True),
        SimpleNamespace(name="reading_id", required=False),
    )

    def run(self, user, port, data, dry_run=False, progress=None, ip=""):
        report = Report("readings")
        try:
            header, rows = read_rows(decode(data))
        except csv.Error as e:
            report.problems.append(Problem(0, "", f"ce fichier n'est pas un CSV lisible ({e})"))
            return report
        report.lines = len(rows)
        for column in self.columns:
            if column.required and column.name not in header:
                report.problems.append(Problem(1, column.name, "colonne obligatoire absente de la première ligne"))
        if not rows and not report.problems:
            report.problems.append(Problem(1, "", "le fichier ne contient aucune ligne de données"))
        if report.problems:
            return report
        parsed = self._parse(port, rows, report, progress)
        new = self._check_sequences(parsed, report)
        report.created = len(new)
        if report.problems or dry_run or not new:
            report.applied = not report.problems and not dry_run
            return report
        with database.atomic():
            for line in new:
                readings.record(
                    user, line.meter, line.read_at, line.index, source="import", external_id=line.external_id, ip=ip
                )
            audit.record(
                user, "import.readings", ("import", None), None, {"lines": report.lines, "created": len(new)}, ip
            )
        report.applied = True
        return report

    def _parse(self, port, rows, report, progress):
        known = meters.by_number(port)
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        parsed = []
        for number, cells in rows:
            if progress:
                progress(1)
            problems = []
            meter = known.get(cells.get("meter", ""))
            if not cells.get("meter"):
                problems.append(("meter", "valeur obligatoire manquante"))
            elif meter is None:
                problems.append(("meter", f"compteur « {cells['meter'][:40]} » inconnu (ajoutez-le dans Compteurs)"))
            read_at = parse_moment(cells.get("read_at"))
            if read_at is None:
                problems.append(("read_at", f"date illisible « {cells.get('read_at', '')[:40]} » (JJ/MM/AAAA HH:MM)"))
            elif read_at > now + readings.FUTURE_MARGIN:
                problems.append(("read_at", f"date dans le futur « {cells['read_at'][:40]} »"))
            index = parse_decimal(cells.get("index"), 3)
            if index is None or index < 0 or index >= readings.MAX_INDEX_MILLI:
                problems.append(("index", f"index illisible « {cells.get('index', '')[:40]} » (par exemple 1520,5)"))
            external_id = (cells.get("reading_id") or "").strip()[:60] or None
            for column, why in problems:
                report.problems.append(Problem(number, column, why))
            if not problems:
                parsed.append(
                    SimpleNamespace(line=number, meter=meter, read_at=read_at, index=index, external_id=external_id)
                )
        return parsed

    def _check_sequences(self, parsed, report):
        """Per meter, in time order: skip what is already there, refuse what can't follow; the new lines."""
        by_meter = {}
        for line in parsed:
            by_meter.setdefault(line.meter.id, []).append(line)
        new = []
        for lines in by_meter.values():
            meter = lines[0].meter
            present = list(MeterReading.select().where(MeterReading.meter == meter))
            ids = {r.external_id for r in present if r.external_id}
            same = {(r.read_at, r.index_milli) for r in present}
            last = meters.latest_reading(meter)
            for line in sorted(lines, key=lambda item: (item.read_at, item.line)):
                if (line.external_id and line.external_id in ids) or (line.read_at, line.index) in same:
                    report.unchanged += 1
                    continue
                try:
                    readings.check_next(meter, last, line.read_at, line.index)
                except readings.ReadingRefused as refusal:
                    column = "index" if line.index < getattr(last, "index_milli", 0) else "read_at"
                    report.problems.append(Problem(line.line, column, str(refusal)))
                    continue
                last = SimpleNamespace(read_at=line.read_at, index_milli=line.index)
                if line.external_id:
                    ids.add(line.external_id)
                new.append(line)
        return sorted(new, key=lambda item: (item.read_at, item.line))
