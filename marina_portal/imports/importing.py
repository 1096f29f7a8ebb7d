"""CSV import from the marina's previous software: check every line first, then write all or nothing.

Rows are matched on the source system's codes (the `code` column), so importing the same file again
updates what changed and creates nothing twice. The columns of each kind are in import_kinds.py.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from peewee import IntegrityError

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.imports.kinds import KINDS, Invalid
from marina_portal.models import Port, User

BATCH = 500


@dataclass
class Problem:
    line: int
    column: str
    why: str


@dataclass
class Report:
    kind: str
    lines: int = 0
    problems: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    credits: int = 0  # absence credits deducted from the imported invoices
    applied: bool = False

    @property
    def ok(self):
        return not self.problems


def decode(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 as older software writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(column names, [(line number, {column: cell})]) with ';' or ',' as separator."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return [], []
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(
            (reader.line_num, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)})
        )
    return header, rows


def run(
    user: User,
    port: Port,
    kind: str,
    data: bytes,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    ip: str = "",
) -> Report:
    """Check the file and, unless dry_run or a line is bad, apply it in one transaction; return a Report."""
    spec = KINDS[kind]
    report = Report(kind)
    try:
        header, rows = read_rows(decode(data))
    except csv.Error as e:
        report.problems.append(Problem(0, "", f"ce fichier n'est pas un CSV lisible ({e})"))
        return report
    report.lines = len(rows)
    missing = [c.name for c in spec.columns if c.required and c.name not in header]
    for name in missing:
        report.problems.append(Problem(1, name, "colonne obligatoire absente de la première ligne"))
    if not rows and not missing:
        report.problems.append(Problem(1, "", "le fichier ne contient aucune ligne de données"))
    if report.problems:
        return report
    context = spec.load_context(port)
    records = _check_lines(spec, context, header, rows, report, progress)
    if report.problems or dry_run:
        for _, fields in records:
            if spec.key(fields) in context.existing:
                report.updated += 1
            else:
                report.created += 1
        return report
    try:
        with database.atomic():
            _apply(spec, context, records, report)
            report.credits = spec.after_apply(user, records, ip)
            audit.record(
                user,
                f"import.{kind}",
                ("import", None),
                None,
                {
                    "lines": report.lines,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                },
                ip,
            )
    except IntegrityError as e:
        report.created = report.updated = report.unchanged = 0
        why = f"conflit avec les données déjà enregistrées ({e}) : rien n'a changé"
        report.problems.append(Problem(0, "", why))
        return report
    report.applied = True
    return report


def _check_lines(spec, context, header, rows, report, progress):
    """Parse and resolve every line; problems go to the report; return [(line number, model fields)]."""
    records, seen = [], {}
    for number, cells in rows:
        if progress:
            progress(1)
        values, ok = {}, True
        for column in spec.columns:
            if column.name not in header:
                continue
            raw = cells.get(column.name, "")
            if not raw:
                if column.required:
                    report.problems.append(Problem(number, column.name, "valeur obligatoire manquante"))
                    ok = False
                values[column.name] = None
                continue
            try:
                values[column.name] = column.parse(raw)
            except Invalid as e:
                report.problems.append(Problem(number, column.name, str(e)))
                ok = False
        if not ok:
            continue
        code = values["code"]
        if code in seen:
            report.problems.append(Problem(number, "code", f"code déjà présent ligne {seen[code]}"))
            continue
        seen[code] = number
        try:
            records.append((number, spec.resolve(context, values)))
        except Invalid as e:
            column, _, why = str(e).partition(": ")
            report.problems.append(Problem(number, column, why))
    return records


def _apply(spec, context, records, report):
    """Write the checked records (inside the caller's transaction): updates where changed, then new rows in batches."""
    model = spec.model
    new_rows = []
    for _, fields in records:
        current = context.existing.get(spec.key(fields))
        if current is None:
            new_rows.append(spec.for_create(context, fields))
            continue
        changes = {name: value for name, value in fields.items() if current.get(name) != value}
        if not changes:
            report.unchanged += 1
            continue
        model.update(**spec.for_update(current, changes)).where(model.id == current["id"]).execute()
        report.updated += 1
    for start in range(0, len(new_rows), BATCH):
        model.insert_many(new_rows[start : start + BATCH]).execute()
    report.created = len(new_rows)
