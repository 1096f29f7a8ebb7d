"""Reading an uploaded CSV file (encoding, separator, header) and the report of an import."""

import csv
import io
from dataclasses import dataclass, field


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


def decode(data):
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 as older software writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_rows(text):
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
