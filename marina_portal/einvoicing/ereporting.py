"""E-reporting of sales to individuals (B2C): per period, the transaction totals per category and VAT rate, and
for services the payments received per VAT rate. The file and where each figure comes from: docs/einvoicing.md.

The period follows the port's VAT filing (Port.ereporting_period): « decade » (réel normal mensuel: three
periods a month, 1–10, 11–20, 21–end), « month », or « two_months » (franchise: January–February, ...).
"""

import json
from collections import defaultdict

from peewee import JOIN

from marina_portal.billing.invoicing import round_div
from marina_portal.billing.methods import CREDIT_NOTE
from marina_portal.einvoicing.sending import Refused, month_bounds
from marina_portal.models import (
    ABSENCE_CREDIT,
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PublicBuyer,
    utcnow,
)

FORMAT = "marina-portal/e-reporting/1"
PERIODS = {"decade": "Décade (dix jours)", "month": "Mois", "two_months": "Deux mois"}
SERVICES, GOODS = "TPS1", "TLB1"  # the reform's categories: services, deliveries of goods
GOODS_UNITS = {"kwh", "m3", "m³", "l", "litre", "litres"}  # what a marina sells as goods: electricity, water, fuel
NOT_MONEY = {CREDIT_NOTE, ABSENCE_CREDIT}  # settle an invoice without money changing hands


def category_of(unit):
    return GOODS if (unit or "").strip().lower() in GOODS_UNITS else SERVICES


def periods(port, text):
    """The periods the export of « AAAA-MM » covers for the port's regime: [(start, end)]; Refused otherwise."""
    start, end = month_bounds(text)
    kind = port.ereporting_period
    if kind == "decade":
        return [
            (start, start.replace(day=10)),
            (start.replace(day=11), start.replace(day=20)),
            (start.replace(day=21), end),
        ]
    if kind == "two_months":
        if start.month % 2 == 0:
            raise Refused("La période de deux mois commence un mois impair : 2027-01, 2027-03, 2027-05, ...")
        return [(start, month_bounds(f"{start.year}-{start.month + 1:02d}")[1])]
    return [(start, end)]


def _individual():
    return (Customer.kind != "business") & PublicBuyer.id.is_null()


def _lines(port, start, end):
    """(category, rate or None, ht, vat, document key) for every line of the period's B2C documents."""
    invoice_lines = (
        Invoice.select(
            Invoice.id,
            Invoice.total_cents,
            InvoiceLine.unit,
            InvoiceLine.vat_rate_bp,
            InvoiceLine.total_ht_cents,
            InvoiceLine.total_vat_cents,
            InvoiceLine.id.alias("line_id"),
        )
        .join(Customer)
        .join(PublicBuyer, JOIN.LEFT_OUTER, on=(PublicBuyer.customer == Customer.id))
        .switch(Invoice)
        .join(InvoiceLine, JOIN.LEFT_OUTER)
        .where(
            (Invoice.port == port)
            & (Invoice.status == InvoiceStatus.ISSUED)
            & (Invoice.number != "")
            & Invoice.issued_on.between(start, end)
            & _individual()
        )
        .dicts()
    )
    for row in invoice_lines:
        if row["line_id"] is None:  # imported without lines: its TTC, rate unknown
            yield SERVICES, None, row["total_cents"], 0, ("F", row["id"])
        else:
            yield (
                category_of(row["unit"]),
                row["vat_rate_bp"],
                row["total_ht_cents"],
                row["total_vat_cents"],
                ("F", row["id"]),
            )
    note_lines = (
        CreditNoteLine.select(
            CreditNote.id,
            CreditNoteLine.unit,
            CreditNoteLine.vat_rate_bp,
            CreditNoteLine.total_ht_cents,
            CreditNoteLine.total_vat_cents,
        )
        .join(CreditNote)
        .join(Customer)
        .join(PublicBuyer, JOIN.LEFT_OUTER, on=(PublicBuyer.customer == Customer.id))
        .where((CreditNote.port == port) & CreditNote.issued_on.between(start, end) & _individual())
        .dicts()
    )
    for row in note_lines:
        yield (
            category_of(row["unit"]),
            row["vat_rate_bp"],
            -row["total_ht_cents"],
            -row["total_vat_cents"],
            ("A", row["id"]),
        )


def _service_shares(invoice_ids):
    """{invoice id: [(rate, services TTC)], invoice TTC of its lines}: how a payment is split between rates."""
    shares = defaultdict(lambda: [defaultdict(int), 0])
    if not invoice_ids:
        return shares
    for line in InvoiceLine.select().where(InvoiceLine.invoice.in_(list(invoice_ids))):
        ttc = line.total_ht_cents + line.total_vat_cents
        shares[line.invoice_id][1] += ttc
        if category_of(line.unit) == SERVICES:
            shares[line.invoice_id][0][line.vat_rate_bp] += ttc
    return shares


def _split(amount, by_rate, whole):
    """The services part of `amount` per rate, in proportion to the invoice's TTC per rate; the last rate takes
    the rounding so that the parts add up to the services share exactly."""
    if not whole:  # an invoice without lines: all services, rate unknown
        return {None: amount}
    rates = sorted(by_rate)
    if not rates:
        return {}
    parts = {rate: round_div(amount * by_rate[rate], whole) for rate in rates[:-1]}
    parts[rates[-1]] = round_div(amount * sum(by_rate.values()), whole) - sum(parts.values())
    return parts


def _payments(port, start, end):
    rows = list(
        Payment.select(Payment.id, Payment.invoice, Payment.amount_cents, Payment.method)
        .join(Invoice)
        .join(Customer)
        .join(PublicBuyer, JOIN.LEFT_OUTER, on=(PublicBuyer.customer == Customer.id))
        .where(
            (Invoice.port == port)
            & Payment.received_on.between(start, end)
            & Payment.cancelled_at.is_null()
            & Payment.method.not_in(NOT_MONEY)
            & _individual()
        )
        .dicts()
    )
    shares = _service_shares({r["invoice"] for r in rows})
    per_rate = defaultdict(int)
    for row in rows:
        by_rate, whole = shares[row["invoice"]] if row["invoice"] in shares else ({}, 0)
        for rate, part in _split(row["amount_cents"], by_rate, whole).items():
            per_rate[rate] += part
    return rows, per_rate


def _rate(bp):
    return None if bp is None else f"{bp / 100:.2f}"


def _money(cents):
    return f"{cents / 100:.2f}"


def period_report(port, start, end):
    grouped = defaultdict(lambda: {"ht": 0, "tva": 0, "documents": set()})
    for category, rate, ht, vat, key in _lines(port, start, end):
        cell = grouped[(category, rate)]
        cell["ht"] += ht
        cell["tva"] += vat
        cell["documents"].add(key)
    transactions = [
        {
            "categorie": category,
            "taux_tva": _rate(rate),
            "base_ht": _money(cell["ht"]),
            "montant_tva": _money(cell["tva"]),
            "montant_ttc": _money(cell["ht"] + cell["tva"]),
            "nombre_documents": len(cell["documents"]),
        }
        for (category, rate), cell in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or -1))
    ]
    rows, per_rate = _payments(port, start, end)
    payments = [
        {"taux_tva": _rate(rate), "montant_encaisse_ttc": _money(amount)}
        for rate, amount in sorted(per_rate.items(), key=lambda kv: kv[0] or -1)
    ]
    ht, vat = sum(c["ht"] for c in grouped.values()), sum(c["tva"] for c in grouped.values())
    return {
        "debut": start.isoformat(),
        "fin": end.isoformat(),
        "transactions": transactions,
        "total_transactions": {"base_ht": _money(ht), "montant_tva": _money(vat), "montant_ttc": _money(ht + vat)},
        "encaissements": payments,
        "total_encaissements": _money(sum(per_rate.values())),
        "nombre_paiements": len(rows),
    }


def report(port, month):
    """The e-reporting of « AAAA-MM » as a dict (the file's content); Refused for a bad period."""
    return {
        "format": FORMAT,
        "declarant": {"nom": port.legal_name or port.name, "siren": port.siren, "tva": port.vat_number},
        "regime_tva": port.vat_regime,
        "periodicite": port.ereporting_period,
        "devise": "EUR",
        "genere_le": utcnow().replace(microsecond=0).isoformat() + "Z",
        "periodes": [period_report(port, start, end) for start, end in periods(port, month)],
    }


def export(port, month):
    return json.dumps(report(port, month), ensure_ascii=False, indent=2).encode() + b"\n"
