"""« Ma consommation »: a boater's consumption lines with their two readings, what each costs, and the months.

A line belongs to the customer who held the berth on the day of its second reading; it counts in that
day's month. Its amount is the invoiced line's when invoiced, else what the season's published price gives.
"""

import datetime as dt

from marina_portal.billing.invoicing import Line
from marina_portal.core.formats import fr_date, quantity, to_paris
from marina_portal.energy import rates as energy_rates
from marina_portal.energy.meters import KINDS
from marina_portal.models import Berth, Consumption, ConsumptionStatus, InvoiceLine, Meter, MeterReading

SHOWN = (ConsumptionStatus.OPEN, ConsumptionStatus.DISPUTED, ConsumptionStatus.INVOICED, ConsumptionStatus.INCLUDED)
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def lines_where(where):
    Start, End = MeterReading.alias(), MeterReading.alias()
    query = (
        Consumption.select(Consumption, Meter, Berth, Start, End)
        .join(Meter)
        .join(Berth, on=(Meter.berth == Berth.id))
        .switch(Consumption)
        .join(Start, on=(Consumption.start_reading == Start.id))
        .switch(Consumption)
        .join(End, on=(Consumption.end_reading == End.id))
        .where(where)
        .order_by(End.read_at.desc(), Consumption.id.desc())
    )
    return list(query)


def for_customer(customer):
    """The customer's lines (not those superseded by a correction), newest first, each with its `amount_cents`."""
    rows = lines_where((Consumption.customer == customer) & Consumption.status.in_(SHOWN))
    price(rows)
    return rows


def own_line(customer, consumption_id):
    """The customer's own line, or None (another boater's looks the same as a missing one)."""
    rows = lines_where((Consumption.id == consumption_id) & (Consumption.customer == customer))
    return rows[0] if rows else None


def line_for_staff(port, consumption_id):
    rows = lines_where((Consumption.id == consumption_id) & (Meter.port == port))
    return rows[0] if rows else None


def day_of(reading):
    return to_paris(reading.read_at).date()


def describe(line):
    """The words an invoice line carries: the meter, then the two readings it comes from."""
    meter = line.meter
    unit = meter.unit
    return (
        f"{KINDS[meter.kind]}, compteur n° {meter.number} (poste {meter.berth.code}) : "
        f"index {quantity(line.start_reading.index_milli)} {unit} le {fr_date(day_of(line.start_reading))}, "
        f"index {quantity(line.end_reading.index_milli)} {unit} le {fr_date(day_of(line.end_reading))}"
    )


def invoice_line_for(line, rate):
    """The invoice Line of a metered consumption at that rate (quantity in thousandths, price in 1/10000 €)."""
    return Line(
        describe(line),
        line.quantity_milli,
        unit_price_e4=rate.price_e4,
        vat_rate_bp=rate.vat_rate_bp,
        unit=line.meter.unit,
    )


def price(rows):
    """Set `amount_cents` (TTC, None when no price applies) and `rate` on each line, a few queries for all."""
    invoiced = {}
    ids = [r.invoice_line_id for r in rows if r.invoice_line_id]
    if ids:
        invoiced = {il.id: il for il in InvoiceLine.select().where(InvoiceLine.id.in_(ids))}
    seasons = {}
    for row in rows:
        row.rate = None
        if row.invoice_line_id in invoiced:
            il = invoiced[row.invoice_line_id]
            row.amount_cents = il.total_ht_cents + il.total_vat_cents
            continue
        year = day_of(row.end_reading).year
        if year not in seasons:
            seasons[year] = energy_rates.season_rates(row.meter.port_id, year)
        row.rate = energy_rates.rate_for(seasons[year], row.meter)
        if row.rate is None or row.rate.basis == "lump":
            row.amount_cents = None
        else:
            line = invoice_line_for(row, row.rate)
            row.amount_cents = line.total_ht_cents + line.total_vat_cents
    return rows


def monthly(rows, months=12, today=None):
    """{kind: [(first day of month, thousandths), ...]} over the last `months` months, oldest first."""
    today = today or dt.date.today()
    firsts = []
    year, month = today.year, today.month
    for _ in range(months):
        firsts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    series = {}
    for row in rows:
        day = day_of(row.end_reading)
        first = dt.date(day.year, day.month, 1)
        if first < firsts[0]:
            continue
        counts = series.setdefault(row.meter.kind, dict.fromkeys(firsts, 0))
        if first in counts:
            counts[first] += row.quantity_milli
    return {kind: sorted(counts.items()) for kind, counts in series.items()}


def chart(points, unit, width=640, height=220):
    """An SVG bar chart's geometry, drawn by the server (templates/energy/_chart.svg): bars, labels, scale."""
    top, bottom, left = 20, 40, 56
    inner_w, inner_h = width - left - 10, height - top - bottom
    highest = max((value for _, value in points), default=0)
    scale_top = _nice(highest)
    slot = inner_w / max(1, len(points))
    bars = []
    for n, (first, value) in enumerate(points):
        bar_h = 0 if not scale_top else inner_h * value / scale_top
        bars.append(
            {
                "x": round(left + n * slot + slot * 0.15, 1),
                "y": round(top + inner_h - bar_h, 1),
                "w": round(slot * 0.7, 1),
                "h": round(bar_h, 1),
                "label": f"{MONTHS[first.month - 1]}",
                "year": first.year,
                "label_x": round(left + n * slot + slot / 2, 1),
                "value": quantity(value),
                "title": f"{MONTHS[first.month - 1]} {first.year} : {quantity(value)} {unit}",
            }
        )
    ticks = [{"y": round(top + inner_h - inner_h * k / 4, 1), "text": quantity(scale_top * k // 4)} for k in range(5)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "base": top + inner_h,
        "right": width - 10,
        "bars": bars,
        "ticks": ticks,
        "unit": unit,
    }


def _nice(value):
    """A round top for the scale, in thousandths: 0, then 1, 2, 5 × a power of ten of the unit."""
    if value <= 0:
        return 0
    step = 1000
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10
