"""Energy on invoices: the consumption lines due up to a day, added to the customer's draft invoice (the next
one) or issued as an energy invoice of their own, each line naming its two readings; lump sums once a season.

Disputed lines wait. A line whose season has no published price waits too (listed as an anomaly). A meter
priced by a lump sum for its amperage has its consumption marked "included" and its contract charged the
lump once per season (EnergyLump). Quantities are thousandths, unit prices 1/10000 €, as billing does.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from marina_portal.billing import absence_credits, invoicing
from marina_portal.core import audit
from marina_portal.energy import consumption
from marina_portal.energy import rates as energy_rates
from marina_portal.energy.meters import KINDS, end_of_day
from marina_portal.models import (
    Consumption,
    ConsumptionStatus,
    Customer,
    EnergyLump,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Meter,
)

LABEL = "Facture d'énergie"


@dataclass
class Plan:
    """What a run would add: per customer, the lines (with the consumption or lump they come from)."""

    lines: dict = field(default_factory=lambda: defaultdict(list))  # customer id -> [(Line, source)]
    included: list = field(default_factory=list)  # consumption ids covered by a lump sum
    anomalies: list = field(default_factory=list)  # French words

    @property
    def total_cents(self):
        return sum(invoicing.totals([line for line, _ in rows])[2] for rows in self.lines.values())


def plan(port, until):
    """The lines a run up to `until` (a day, included) would invoice; nothing written."""
    rows = consumption.lines_where((Meter.port == port) & (Consumption.status == ConsumptionStatus.OPEN))
    last = end_of_day(until)
    rows = [row for row in rows if row.customer_id is not None and row.end_reading.read_at <= last]
    rows.sort(key=lambda row: (row.end_reading.read_at, row.id))
    found = Plan()
    seasons, lumps = {}, set()
    for row in rows:
        year = consumption.day_of(row.end_reading).year
        if year not in seasons:
            seasons[year] = energy_rates.season_rates(port, year)
        rate = energy_rates.rate_for(seasons[year], row.meter)
        if rate is None:
            found.anomalies.append(
                f"Pas de prix {KINDS[row.meter.kind].lower()} publié pour {year} : compteur {row.meter.number}, "
                f"poste {row.meter.berth.code} (la consommation attend)."
            )
            continue
        if rate.basis == "lump":
            found.included.append(row.id)
            key = (row.contract_id, row.meter.kind, year)
            if key in lumps or _lump_charged(*key):
                continue
            lumps.add(key)
            line = invoicing.Line(
                f"Forfait {KINDS[row.meter.kind].lower()} {rate.amperage} A, saison {year}, "
                f"poste {row.meter.berth.code}",
                1000,
                unit_price_e4=rate.price_e4,
                vat_rate_bp=rate.vat_rate_bp,
                unit="forfait",
            )
            found.lines[row.customer_id].append((line, ("lump", key)))
            continue
        found.lines[row.customer_id].append((consumption.invoice_line_for(row, rate), ("consumption", row.id)))
    return found


def _lump_charged(contract_id, kind, year):
    return (
        EnergyLump.select()
        .where((EnergyLump.contract == contract_id) & (EnergyLump.kind == kind) & (EnergyLump.year == year))
        .exists()
    )


def run(user, port, until, ip=""):
    """Invoice the plan: each customer's lines go on their draft invoice if they have one, else on a new energy
    invoice issued at once. Returns [(customer, invoice, issued now)]."""
    found = plan(port, until)
    done = []
    with absence_credits.locked(list(found.lines)):  # the write lock first: issuing numbers under it
        if found.included:
            Consumption.update(status=ConsumptionStatus.INCLUDED).where(Consumption.id.in_(found.included)).execute()
        for customer_id, rows in found.lines.items():
            customer = Customer.get_by_id(customer_id)
            draft = (
                Invoice.select()
                .where((Invoice.customer == customer_id) & (Invoice.status == InvoiceStatus.DRAFT))
                .order_by(Invoice.issued_on, Invoice.id)
                .first()
            )
            if draft is not None:
                invoice, written = draft, invoicing.append_to_draft(user, draft, [line for line, _ in rows], ip)
            else:
                invoice = invoicing.create_draft(user, customer, LABEL, [line for line, _ in rows], ip=ip)
                written = list(invoice.lines.order_by(InvoiceLine.position))
            for (_, (what, key)), invoice_line in zip(rows, written):
                if what == "consumption":
                    Consumption.update(status=ConsumptionStatus.INVOICED, invoice_line=invoice_line.id).where(
                        Consumption.id == key
                    ).execute()
                else:
                    EnergyLump.create(contract=key[0], kind=key[1], year=key[2], invoice_line=invoice_line.id)
            if draft is None:
                invoice = invoicing.issue(invoice, user, ip=ip)
            done.append((customer, invoice, draft is None))
        audit.record(
            user,
            "energy.invoicing",
            ("port", port.id),
            None,
            {"until": until.isoformat(), "invoices": len(done), "included": len(found.included)},
            ip,
        )
    return done
