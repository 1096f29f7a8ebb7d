"""CSV import from the marina's previous software: check every line first, then write all or nothing.

Rows are matched on the source system's codes (the `code` column), so importing the same file again
updates what changed and creates nothing twice. The columns of each kind are in import_kinds.py.
"""

import csv

from peewee import IntegrityError

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.imports.csvfile import Problem, Report, decode, read_rows
from marina_portal.imports.kinds import KINDS, Invalid

BATCH = 500


def run(user, port, kind, data, dry_run=False, progress=None, ip=""):
    """Check the file and, unless dry_run or a line is bad, apply it in one transaction; return a Report."""
    spec = KINDS[kind]
    if hasattr(spec, "run"):  # a kind with rules of its own (meter readings)
        return spec.run(user, port, data, dry_run=dry_run, progress=progress, ip=ip)
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
