"""Meters and readings: the pedestal system's CSV (bad rows refused, dry run, a second import writes nothing),
readings typed on the pontoon with a photo checked by content, a meter swapped with its closing and opening index."""

import datetime as dt
import io
import os
import re

import pytest
from conftest import csrf_token

from marina_portal.core.db import database
from marina_portal.core.formats import PARIS, paris_today
from marina_portal.energy import readings
from marina_portal.imports import importing
from marina_portal.models import Consumption, Meter, MeterReading, Port

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + (
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
YEAR = paris_today().year


def _day(month, day):
    return dt.date(YEAR, month, day).strftime("%d/%m/%Y")


def past_days():
    """Two days of this year before today (the month of readings the demo's staff import)."""
    today = paris_today()
    first = max(dt.date(YEAR, 1, 2), today - dt.timedelta(days=40))
    second = max(first + dt.timedelta(days=1), today - dt.timedelta(days=5))
    return first, min(second, today)


def csv_of(*rows):
    return ("meter;read_at;index;reading_id\n" + "\n".join(";".join(r) for r in rows) + "\n").encode()


def run_import(app, data, dry_run=False):
    with app.app_context():
        report = importing.run(None, Port.current(), "readings", data, dry_run=dry_run)
        database.close()
    return report


def test_a_month_of_readings_imports_with_a_dry_run_first_and_once(app):
    first, second = past_days()
    data = csv_of(
        ("E-B12", first.strftime("%d/%m/%Y") + " 08:00", "120,5", "r1"),
        ("E-B12", second.strftime("%d/%m/%Y") + " 08:00", "310,25", "r2"),
        ("W-B12", second.strftime("%d/%m/%Y"), "3,2", "r3"),
    )
    dry = run_import(app, data, dry_run=True)
    assert dry.ok and dry.created == 3 and not dry.applied
    with app.app_context():
        assert MeterReading.select().where(MeterReading.source == "import").count() == 0
    done = run_import(app, data)
    assert done.ok and done.applied and done.created == 3
    again = run_import(app, data)
    assert again.ok and again.created == 0 and again.unchanged == 3
    with app.app_context():
        meter = Meter.get(Meter.number == "E-B12")
        lines = list(Consumption.select().where(Consumption.meter == meter).order_by(Consumption.id))
        assert [line.quantity_milli for line in lines] == [120500, 189750]
        assert {line.customer.last_name for line in lines} == {"DUPONT"}


def test_bad_rows_are_each_named_and_nothing_is_written(app):
    first, second = past_days()
    tomorrow = paris_today() + dt.timedelta(days=1)
    data = csv_of(
        ("X-999", first.strftime("%d/%m/%Y"), "12", ""),
        ("E-B12", second.strftime("%d/%m/%Y"), "200", ""),
        ("E-C03", first.strftime("%d/%m/%Y"), "50", ""),
        ("E-C03", second.strftime("%d/%m/%Y"), "40", ""),
        ("W-C03", tomorrow.strftime("%d/%m/%Y"), "1", ""),
        ("W-B12", "31/02/2026", "abc", ""),
    )
    report = run_import(app, data)
    problems = {(p.line, p.column): p.why for p in report.problems}
    assert "inconnu" in problems[(2, "meter")]
    assert "baisse" in problems[(5, "index")]
    assert "futur" in problems[(6, "read_at")]
    assert "illisible" in problems[(7, "read_at")] and "illisible" in problems[(7, "index")]
    assert (3, "index") not in problems and (4, "index") not in problems
    with app.app_context():
        assert MeterReading.select().where(MeterReading.source == "import").count() == 0


def test_missing_columns_are_refused(app):
    report = run_import(app, b"meter;index\nE-B12;12\n")
    assert [(p.column, p.why) for p in report.problems] == [
        ("read_at", "colonne obligatoire absente de la première ligne")
    ]


def test_the_command_line_import_with_dry_run(app, tmp_path):
    first, _ = past_days()
    path = tmp_path / "releves.csv"
    path.write_bytes(csv_of(("E-B12", first.strftime("%d/%m/%Y"), "12,5", "")))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "readings", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Essai sans enregistrement" in result.output
    result = runner.invoke(args=["import", "readings", str(path)])
    assert result.exit_code == 0 and "Import terminé : 1 créé(s)" in result.output
    path.write_bytes(csv_of(("NOPE", first.strftime("%d/%m/%Y"), "1", "")))
    result = runner.invoke(args=["import", "readings", str(path)])
    assert result.exit_code == 1 and "inconnu" in result.output


def test_the_staff_import_page_takes_readings(client, auth):
    auth.staff()
    first, _ = past_days()
    page = client.get("/staff/import")
    assert "Relevés de compteurs" in page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "kind": "readings",
        "apply": "0",
        "file": (io.BytesIO(csv_of(("E-B12", first.strftime("%d/%m/%Y"), "9", ""))), "releves.csv"),
    }
    answer = client.post("/staff/import", data=data, content_type="multipart/form-data")
    assert answer.status_code == 200 and "Essai réussi" in answer.get_data(as_text=True)


def _meter_id(app, number):
    with app.app_context():
        meter_id = Meter.get(Meter.number == number).id
        database.close()
    return meter_id


def _post_reading(client, meter_id, index, photo=None, name="compteur.png", json=False):
    page = client.get("/staff/energy/round")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "index": index, "read_at": ""}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), name)
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        f"/staff/energy/meters/{meter_id}/readings", data=data, content_type="multipart/form-data", headers=headers
    )


def test_a_reading_on_the_pontoon_with_its_photo(app, client, auth):
    auth.staff()
    meter_id = _meter_id(app, "E-B12")
    answer = _post_reading(client, meter_id, "152,4", PNG)
    assert answer.status_code == 303 and "/staff/energy/round" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Relevé enregistré : compteur n° E-B12 (poste B-12), index 152,4 kWh." in page
    with app.app_context():
        reading = MeterReading.select().where(MeterReading.meter == meter_id).order_by(MeterReading.id.desc()).get()
        assert reading.photo and reading.photo_type == "image/png" and reading.index_milli == 152400
        reading_id = reading.id
    photo = client.get(f"/staff/energy/readings/{reading_id}/photo")
    assert photo.status_code == 200 and photo.data == PNG


@pytest.mark.parametrize(
    "content, name",
    [(b"%PDF-1.4 not a photo", "compteur.jpg"), (b"MZ\x90\x00 a program", "compteur.png"), (b"plain text", "c.png")],
)
def test_a_photo_that_is_not_an_image_is_refused(app, client, auth, content, name):
    auth.staff()
    meter_id = _meter_id(app, "W-B12")
    answer = _post_reading(client, meter_id, "2", content, name)
    assert answer.status_code == 422
    assert "La photo doit être une image JPEG, PNG ou WebP." in answer.get_data(as_text=True)
    with app.app_context():
        assert MeterReading.select().where(MeterReading.meter == meter_id).count() == 1  # the opening index only


def test_the_offline_queue_gets_json_answers(app, client, auth):
    auth.staff()
    meter_id = _meter_id(app, "E-C03")
    ok = _post_reading(client, meter_id, "10", json=True)
    assert ok.status_code == 200 and ok.get_json()["ok"] is True
    down = _post_reading(client, meter_id, "9", json=True)
    assert down.status_code == 422 and "baisse" in down.get_json()["message"]
    bad = _post_reading(client, meter_id, "dix", json=True)
    assert bad.status_code == 422 and "index lu" in bad.get_json()["message"]


def test_a_swapped_meter_starts_again_from_its_opening_index(app, client, auth):
    auth.staff()
    meter_id = _meter_id(app, "E-B12")
    assert _post_reading(client, meter_id, "500").status_code == 303
    page = client.get(f"/staff/energy/meters/{meter_id}")
    today = paris_today().isoformat()
    swap = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "swapped_on": today,
        "closing_index": "400",
        "new_number": "E-B12-2",
        "opening_index": "3",
    }
    refused = client.post(f"/staff/energy/meters/{meter_id}", data=swap)
    assert refused.status_code == 422 and "inférieur au dernier relevé" in refused.get_data(as_text=True)
    swap["closing_index"] = "512"
    done = client.post(f"/staff/energy/meters/{meter_id}", data=swap)
    assert done.status_code == 303
    new_id = _meter_id(app, "E-B12-2")
    assert _post_reading(client, new_id, "8").status_code == 303  # lower than the old meter's index: no problem
    assert _post_reading(client, meter_id, "600").status_code == 422  # the old one is closed
    with app.app_context():
        quantities = [
            c.quantity_milli
            for c in Consumption.select().join(Meter).where(Meter.berth == Meter.get_by_id(meter_id).berth)
        ]
        assert sorted(quantities) == [5000, 12000, 500000]
        assert Meter.get_by_id(new_id).replaces_id == meter_id


def test_a_reading_from_the_future_or_before_the_last_is_refused(app):
    with app.app_context():
        meter = Meter.get(Meter.number == "W-C03")
        with pytest.raises(readings.ReadingRefused, match="futur"):
            readings.record(None, meter, readings.utcnow() + dt.timedelta(days=1), 1000)
        readings.record(None, meter, readings.utcnow() - dt.timedelta(hours=2), 1000)
        with pytest.raises(readings.ReadingRefused, match="plus récent"):
            readings.record(None, meter, readings.utcnow() - dt.timedelta(hours=3), 2000)


def test_unknown_rows_and_boaters_are_kept_out(app, client, auth):
    auth.boater()
    meter_id = _meter_id(app, "E-B12")
    assert client.get("/staff/energy/round").status_code == 403
    assert client.get(f"/staff/energy/meters/{meter_id}").status_code == 403
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else client._cookies.clear()
    auth.staff()
    assert client.get("/staff/energy/meters/99999").status_code == 404
    assert client.get("/staff/energy/readings/99999/photo").status_code == 404
    assert client.get(f"/staff/energy/meters/{meter_id}").status_code == 200


def test_the_documented_sample_imports_into_the_demo_whatever_today_is(app):
    """docs/samples/readings.csv keeps its printed dates; the test moves them to this year, between the demo's
    opening index (January 1st, 00:00) and now, keeping their order and spacing, so that it holds every year."""
    with open(os.path.join(os.path.dirname(__file__), "..", "docs", "samples", "readings.csv"), encoding="utf-8") as f:
        text = f.read()
    found = re.findall(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", text)
    moments = [dt.datetime.strptime(m, "%d/%m/%Y %H:%M") for m in found]
    now = dt.datetime.now(PARIS).replace(tzinfo=None)
    middle = dt.datetime(YEAR, 1, 1) + (now - dt.datetime(YEAR, 1, 1)) / 2
    for printed, moment in zip(found, moments):
        text = text.replace(printed, (middle + (moment - moments[0])).strftime("%d/%m/%Y %H:%M"), 1)
    data = text.encode()
    assert run_import(app, data, dry_run=True).ok
    report = run_import(app, data)
    assert report.ok and report.applied, report.problems
    with app.app_context():
        assert MeterReading.select().where(MeterReading.source != "staff").count() == len(moments)
        assert Consumption.select().count() == len(moments)  # each closes a line from the opening index
        database.close()
    assert run_import(app, data).ok  # the same file again writes nothing more
