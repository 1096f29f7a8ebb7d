"""CSV files the portal writes. A cell a spreadsheet would run as a formula (=, +, -, @, tab or carriage
return first) is written with a leading apostrophe: a name typed on a public form stays a name."""

import csv
import re
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")  # a negative amount (-12,00) is a number, not a formula


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) and not _NUMBER.match(text) else text


class SafeWriter:
    """csv.writer's writerow/writerows, each cell neutralised first."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out: TextIO, **options: Any) -> SafeWriter:
    """The one way the portal writes CSV (same options as csv.writer)."""
    return SafeWriter(out, **options)
