"""Energy prices in a season's tariff grid: per kWh or m³ with four decimals, or a lump sum per socket amperage.

The season of a consumption is the year of its second reading (Paris date); only a published season prices it.
"""

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.formats import unit_price
from marina_portal.core.i18n import N_
from marina_portal.core.refusals import Refusal
from marina_portal.energy.meters import KINDS, UNITS
from marina_portal.models import EnergyRate, Tariff
from marina_portal.tariffs.grid import VAT_RATES

BASES = {"metered": N_("Au compteur"), "lump": N_("Forfait pour la saison")}
FIELDS = ("kind", "basis", "amperage", "price_e4", "vat_rate_bp")


class RateRefused(Refusal):
    """An energy price that can't be saved, with the words to show."""


def of_tariff(tariff):
    return list(tariff.energy_rates.order_by(EnergyRate.kind, EnergyRate.basis, EnergyRate.amperage, EnergyRate.id))


def season_rates(port, year):
    """{(kind, amperage): rate} of the published season of that year ((kind, 0) for metered prices)."""
    rows = (
        EnergyRate.select()
        .join(Tariff)
        .where((Tariff.port == port) & (Tariff.year == year) & Tariff.published_at.is_null(False))
    )
    return {(r.kind, r.amperage if r.basis == "lump" else 0): r for r in rows}


def rate_for(rates, meter):
    """The lump sum for the meter's amperage if the season has one, else the metered price, else None."""
    lump = rates.get((meter.kind, meter.amperage)) if meter.amperage else None
    return lump or rates.get((meter.kind, 0))


def label(rate):
    if rate.basis == "lump":
        return f"{KINDS[rate.kind]} — forfait {rate.amperage} A pour la saison : {unit_price(rate.price_e4)} HT"
    return f"{KINDS[rate.kind]} — {unit_price(rate.price_e4)} HT par {UNITS[rate.kind]}"


def save(user, tariff, kind, basis, amperage, price_e4, vat_rate_bp, rate=None, ip=""):
    """Add or change one energy price of a season; one metered price per kind, one lump sum per amperage."""
    if kind not in KINDS:
        raise RateRefused(N_("Choisissez l'énergie : électricité ou eau."))
    if basis not in BASES:
        raise RateRefused(N_("Choisissez au compteur ou forfait."))
    if price_e4 is None or price_e4 < 0 or price_e4 > 10**10:
        raise RateRefused(N_("Saisissez un prix HT en euros, jusqu'à quatre décimales, par exemple 0,2316."))
    if vat_rate_bp not in VAT_RATES:
        raise RateRefused(N_("Choisissez le taux de TVA."))
    amperage = amperage or 0
    if basis == "lump" and (kind != "electricity" or not 1 <= amperage <= 400):
        raise RateRefused(N_("Un forfait se donne pour une prise électrique : indiquez son ampérage, par exemple 16."))
    if basis == "metered":
        amperage = 0
    clash = EnergyRate.select().where(
        (EnergyRate.tariff == tariff)
        & (EnergyRate.kind == kind)
        & (EnergyRate.basis == basis)
        & (EnergyRate.amperage == amperage)
        & (EnergyRate.id != getattr(rate, "id", 0))
    )
    if clash.exists():
        raise RateRefused(N_("Cette saison a déjà ce prix : modifiez-le plutôt que d'en ajouter un autre."))
    row = rate or EnergyRate(tariff=tariff)
    before = audit.snapshot(rate, FIELDS) if rate else None
    row.kind, row.basis, row.amperage, row.price_e4, row.vat_rate_bp = kind, basis, amperage, price_e4, vat_rate_bp
    with database.atomic():
        row.save()
        audit.record(user, "tariff.energy_rate", tariff, before, dict(audit.snapshot(row, FIELDS), rate=row.id), ip)
    return row


def delete(user, rate, ip=""):
    with database.atomic():
        audit.record(user, "tariff.energy_rate_delete", rate.tariff, audit.snapshot(rate, FIELDS), None, ip)
        rate.delete_instance()
