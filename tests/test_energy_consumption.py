"""« Ma consommation » and energy on invoices: JEAN DUPONT sees each reading (date, photo), the months as an SVG
drawn by the server and the amounts; « Contester » freezes a line (not invoiced, not reminded) until the office
answers with a corrected reading or an explanation, both kept and mailed; the energy run puts each line, naming
its two readings, on the next invoice (a draft) or on an energy invoice issued at once; lump sums once a season."""

import datetime as dt
import re

import pytest
from conftest import csrf_token

from marina_portal.billing import follow_up, invoicing
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.energy import disputes, readings
from marina_portal.energy import invoicing as energy_invoicing
from marina_portal.models import (
    Consumption,
    Contract,
    Customer,
    EnergyRate,
    Invoice,
    InvoiceDispute,
    InvoiceLine,
    Meter,
    MeterReading,
    Port,
    ReminderStep,
    Tariff,
    User,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + (
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _moment(days_ago):
    return readings.utcnow().replace(microsecond=0) - dt.timedelta(days=days_ago)


def read(app, number, days_ago, index_milli, photo=None):
    with app.app_context():
        reading = readings.record(None, Meter.get(Meter.number == number), _moment(days_ago), index_milli, photo)
        database.close()
    return reading


def with_identity(app):
    with app.app_context():
        Port.update(siren="732829320", vat_number="FR44732829320").execute()
        database.close()


def jean_lines(app):
    with app.app_context():
        jean = Customer.get(Customer.code == "C0001")
        rows = list(Consumption.select().where(Consumption.customer == jean).order_by(Consumption.id))
        database.close()
    return rows


def test_jean_sees_his_readings_photos_months_and_amounts(app, client, auth):
    read(app, "E-B12", 40, 100_000, PNG)
    read(app, "E-B12", 10, 252_400, PNG)
    read(app, "E-C03", 10, 999_000)  # SOPHIE's
    auth.boater()
    page = client.get("/consommation/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ma consommation" in html and "compteur n° E-B12" in html and "E-C03" not in html
    assert "index 252,4 kWh" in html and "152,4 kWh" in html
    # 152,4 kWh at 0,2316 € HT: 35,30 € HT, 42,36 € TTC
    assert "42,36 €" in html and "0,2316 €" in html
    assert html.count("<svg") == 1 and "<rect" in html and "chart" in html
    photos = sorted(set(re.findall(r'href="(/consommation/releves/\d+/photo)"', html)))
    assert len(photos) == 2
    assert client.get(photos[1]).data == PNG
    assert "script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_another_boater_gets_404_for_jean_s_lines_and_photos(app, client, auth):
    read(app, "E-B12", 40, 100_000, PNG)
    reading = read(app, "E-B12", 10, 150_000, PNG)
    line = jean_lines(app)[-1]
    auth.boater("C0002")
    assert client.get(f"/consommation/{line.id}/contester").status_code == 404
    assert client.get(f"/consommation/releves/{reading.id}/photo").status_code == 404
    page = client.get("/consommation/")
    token = csrf_token(page.get_data(as_text=True))
    assert (
        client.post(f"/consommation/{line.id}/contester", data={"csrf_token": token, "reason": "x"}).status_code == 404
    )


def _contest(client, line_id, reason="La borne était coupée, mon bateau était au chantier."):
    page = client.get(f"/consommation/{line_id}/contester")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/consommation/{line_id}/contester", data={"csrf_token": token, "reason": reason})


def test_a_disputed_line_is_not_invoiced_until_the_office_explains(app, client, auth, mailbox):
    with_identity(app)
    read(app, "E-B12", 40, 100_000)
    read(app, "E-B12", 10, 150_000)
    first, second = jean_lines(app)
    auth.boater()
    refused = _contest(client, second.id, reason="  ")
    assert refused.status_code == 422 and "Ce champ est obligatoire." in refused.get_data(as_text=True)
    assert _contest(client, second.id).status_code == 303
    assert "déjà contestée" in _contest(client, second.id).get_data(as_text=True)
    to_jean = mailbox.last("jean.dupont@example.com")
    assert "contestation est enregistrée" in mailbox.text(to_jean)
    assert "compteur E-B12" in mailbox.last("web.management@example.com")["Subject"]
    with app.app_context():
        port = Port.current()
        done = energy_invoicing.run(None, port, paris_today())
        [(customer, invoice, issued)] = done
        assert customer.code == "C0001" and issued and invoice.number
        descriptions = [line.description for line in invoice.lines]
        assert len(descriptions) == 1 and "index 0 kWh" in descriptions[0] and "index 100 kWh" in descriptions[0]
        assert Consumption.get_by_id(second.id).status == "disputed"
        assert Consumption.get_by_id(first.id).status == "invoiced"
        dispute = disputes.open_for_port(port)[0]
        staff = User.create(email="agent@example.com", role="agent")
        disputes.answer_with_explanation(staff, dispute, "Le relevé est juste : photo à l'appui.")
        assert Consumption.get_by_id(second.id).status == "open"
        [(_, invoice, _)] = energy_invoicing.run(None, port, paris_today())
        [line] = list(invoice.lines)
        assert line.quantity_milli == 50_000 and line.unit_price_e4 == 2316 and line.unit == "kWh"
        assert "index 100 kWh" in line.description and "index 150 kWh" in line.description
        assert energy_invoicing.run(None, port, paris_today()) == []  # nothing twice
        database.close()
    assert "Le relevé est juste" in mailbox.text(mailbox.last("jean.dupont@example.com"))
    html = client.get("/consommation/").get_data(as_text=True)
    assert "Contestée le" in html and "Le relevé est juste" in html


def test_a_corrected_reading_replaces_the_line_and_the_next_one(app, client, auth, mailbox):
    read(app, "E-B12", 40, 100_000)
    read(app, "E-B12", 20, 900_000)  # mistyped: 900 instead of 190
    read(app, "E-B12", 5, 960_000)
    lines = jean_lines(app)
    auth.boater()
    assert _contest(client, lines[1].id).status_code == 303
    with app.app_context():
        dispute = disputes.open_for_port(Port.current())[0]
        with pytest.raises(disputes.DisputeRefused, match="dépasse le relevé suivant"):
            disputes.answer_with_reading(None, dispute, 990_000)
        disputes.answer_with_reading(None, dispute, 190_000, PNG)
        standing = [
            c.quantity_milli
            for c in Consumption.select().where(Consumption.status == "open").order_by(Consumption.id)
            if c.meter.number == "E-B12"
        ]
        assert sorted(standing) == [90_000, 100_000, 770_000]
        assert MeterReading.select().where(MeterReading.replaced_by.is_null(False)).count() == 1
        database.close()
    assert "nouvel index 190 kWh" in mailbox.text(mailbox.last("jean.dupont@example.com"))
    html = re.sub(r"\s+", " ", client.get("/consommation/").get_data(as_text=True))
    # the boater's page shows the corrected index and the two lines it gives; the mistyped 900 is gone
    assert html.count("index 190 kWh") == 2 and "index 900 kWh" not in html
    assert "Consommation : <strong>90 kWh</strong>" in html and "Consommation : <strong>770 kWh</strong>" in html


def test_a_disputed_invoiced_line_stops_its_reminders(app, client, auth):
    with_identity(app)
    read(app, "E-B12", 40, 100_000)
    with app.app_context():
        port = Port.current()
        [(_, invoice, _)] = energy_invoicing.run(None, port, paris_today())
        ReminderStep.create(port=port, days_after_due=1)
        later = invoice.due_on + dt.timedelta(days=3)
        assert [i.id for i, _ in follow_up.due(port, later)].count(invoice.id) == 1
        database.close()
    auth.boater()
    line = jean_lines(app)[0]
    assert _contest(client, line.id).status_code == 303
    with app.app_context():
        assert InvoiceDispute.select().where(InvoiceDispute.invoice == invoice.id).count() == 1
        assert invoice.id not in [i.id for i, _ in follow_up.due(port, later)]
        disputes.answer_with_explanation(None, disputes.open_for_port(port)[0], "Index vérifié.")
        assert invoice.id in [i.id for i, _ in follow_up.due(port, later)]
        assert Consumption.get_by_id(line.id).status == "invoiced"
        database.close()


def test_lines_go_on_the_customer_s_draft_invoice_when_there_is_one(app):
    read(app, "E-B12", 40, 100_000)
    with app.app_context():
        jean = Customer.get(Customer.code == "C0001")
        draft = invoicing.create_draft(None, jean, "Facture de prestation", [invoicing.Line("Grutage", 1000, 10000)])
        first_line = draft.lines.get().id
        [(_, invoice, issued)] = energy_invoicing.run(None, Port.current(), paris_today())
        assert invoice.id == draft.id and not issued
        lines = list(InvoiceLine.select().where(InvoiceLine.invoice == draft.id).order_by(InvoiceLine.position))
        assert [line.id for line in lines][0] == first_line and len(lines) == 2
        assert Invoice.get_by_id(draft.id).total_cents == 12000 + 2316 + 463  # 100 kWh: 23,16 € HT, 4,63 € VAT
        database.close()


def test_an_amperage_lump_sum_is_charged_once_a_season(app):
    with_identity(app)
    read(app, "E-B12", 40, 100_000)
    with app.app_context():
        tariff = Tariff.get(Tariff.year == paris_today().year)
        EnergyRate.create(tariff=tariff, kind="electricity", basis="lump", amperage=16, price_e4=1_500_000)
        [(_, invoice, _)] = energy_invoicing.run(None, Port.current(), paris_today())
        [line] = list(invoice.lines)
        assert line.description.startswith("Forfait électricité 16 A") and line.total_ht_cents == 15000
        database.close()
    read(app, "E-B12", 10, 200_000)
    with app.app_context():
        assert energy_invoicing.run(None, Port.current(), paris_today()) == []
        assert Consumption.select().where(Consumption.status == "included").count() == 2
        contract = Contract.get(Contract.number.endswith("-0042"))
        assert contract.id
        database.close()


def test_staff_pages_for_disputes_and_the_energy_run(app, client, auth):
    with_identity(app)
    read(app, "E-B12", 40, 100_000)
    auth.staff()
    page = client.get("/staff/energy/invoicing")
    assert page.status_code == 200 and "index 100 kWh" in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    done = client.post("/staff/energy/invoicing", data={"csrf_token": token, "until": paris_today().isoformat()})
    assert done.status_code == 303
    assert "1 facture(s) d" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert client.get("/staff/energy/disputes").status_code == 200
    assert client.post("/staff/energy/disputes/999/explanation", data={"csrf_token": token}).status_code == 404
    rates = client.get("/staff/tariffs/1/energy")
    assert "0,2316 €" in rates.get_data(as_text=True)
    bad = client.post(
        "/staff/tariffs/1/energy",
        data={"csrf_token": token, "kind": "electricity", "basis": "metered", "price": "0,23165", "vat_rate": "2000"},
    )
    assert bad.status_code == 422 and "quatre décimales au plus" in bad.get_data(as_text=True)
