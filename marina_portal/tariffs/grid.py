"""Seasons and their rates, the price of one boat, and the staff's edits (each one audited)."""

from dataclasses import dataclass

from marina_portal.core import audit, formats
from marina_portal.core.db import database
from marina_portal.core.i18n import N_, Translatable
from marina_portal.core.refusals import Refusal
from marina_portal.models import Berth, Tariff, TariffRate, utcnow

# The period's words complete « bateau de 9,50 m, … » on the public simulator.
PERIODS = {
    "annual": N_("place annuelle"),
    "half_year": N_("place pour six mois"),
    "month": N_("place au mois"),
    "week": N_("place à la semaine"),
    "night": N_("place à la nuitée"),
}
# A contract's type (as typed on the contract) and the period of the grid it is priced at.
CONTRACT_PERIODS = {"annuel": "annual", "semestriel": "half_year", "mensuel": "month", "hebdomadaire": "week"}
BASES = {"flat": "Prix de la bande", "area": "Prix au m² (longueur × largeur)"}
VAT_RATES = (2000, 1000, 550, 210, 0)
DEFAULT_CATEGORY = "Ponton"
RATE_FIELDS = ("category", "period", "length_from_cm", "length_to_cm", "basis", "price_ht_cents", "vat_rate_bp")


class Refused(Refusal):
    """An edit of the grid that can't be made, with the words to show."""


class NoRate(Translatable):
    """No price in the grid for that boat, with the French words why (translated where shown)."""


def _round_div(numerator, denominator):
    """Integer division rounded half away from zero, as invoice lines are."""
    sign = -1 if numerator < 0 else 1
    quotient, rest = divmod(abs(numerator), denominator)
    return sign * (quotient + (1 if rest * 2 >= denominator else 0))


@dataclass
class Quote:
    """What a boat pays under one rate, as the invoice line will carry it."""

    rate: TariffRate
    quantity_milli: int  # 1000 for a band price, the area in thousandths of m² for a price per m²
    length_cm: int
    beam_cm: int

    @property
    def unit_price_cents(self):
        return self.rate.price_ht_cents

    @property
    def vat_rate_bp(self):
        return self.rate.vat_rate_bp

    @property
    def ht_cents(self):
        return _round_div(self.quantity_milli * self.rate.price_ht_cents, 1000)

    @property
    def vat_cents(self):
        return _round_div(self.ht_cents * self.rate.vat_rate_bp, 10000)

    @property
    def ttc_cents(self):
        return self.ht_cents + self.vat_cents


def unit_ttc_cents(rate):
    """The rate's own price with its VAT (per band, or per m²), as the grid prints it."""
    return rate.price_ht_cents + _round_div(rate.price_ht_cents * rate.vat_rate_bp, 10000)


def period_of_contract(contract_type):
    return CONTRACT_PERIODS.get((contract_type or "").strip().lower(), "annual")


def season(port, year, published_only=True):
    query = Tariff.select().where((Tariff.port == port) & (Tariff.year == year))
    if published_only:
        query = query.where(Tariff.published_at.is_null(False))
    return query.first()


def published_years(port):
    rows = Tariff.select(Tariff.year).where((Tariff.port == port) & Tariff.published_at.is_null(False))
    return sorted(row.year for row in rows.order_by(Tariff.year))


def rates_of(tariff):
    return list(tariff.rates.order_by(TariffRate.category, TariffRate.period, TariffRate.length_from_cm, TariffRate.id))


def categories_of(tariff):
    return sorted({rate.category for rate in tariff.rates})


def quote(tariff, category, period, length_cm, beam_cm=0, rates=None):
    """The price of a boat of that length (and beam) on that category for that period; NoRate otherwise."""
    if not length_cm or length_cm <= 0:
        raise NoRate(N_("La longueur du bateau n'est pas connue."))
    candidates = rates if rates is not None else rates_of(tariff)
    for rate in candidates:
        if rate.category == category and rate.period == period and rate.length_from_cm < length_cm <= rate.length_to_cm:
            if rate.basis == "area":
                if not beam_cm or beam_cm <= 0:
                    raise NoRate(N_("Ce tarif est au m² : indiquez aussi la largeur du bateau."))
                quantity = _round_div(length_cm * beam_cm, 10)
            else:
                quantity = 1000
            return Quote(rate, quantity, length_cm, beam_cm)
    raise NoRate(
        N_("Pas de tarif %(year)s pour un bateau de %(length)s m, %(period)s, %(category)s."),
        year=tariff.year,
        length=metres(length_cm),
        period=PERIODS.get(period, period),
        category=category,
    )


def metres(cm):
    """950 -> '9,50' (core.formats.metres without its unit; 0 -> '0,00', a band's lower bound)."""
    return formats.metres(cm, unit=False) or "0,00"


def berth_categories(port):
    """The categories the port's berths carry, with the default one first when none is set."""
    found = {b.category for b in Berth.select(Berth.category).where(Berth.port == port).distinct()}
    return sorted(found or {DEFAULT_CATEGORY})


# --- staff edits ----------------------------------------------------------------------------------


def create_season(user, port, year, copy_from=None, uplift_bp=0, ip=""):
    """A new draft season, empty or a copy of another with its prices raised by `uplift_bp` (1/100 %)."""
    if not 2000 <= int(year) <= 2100:
        raise Refused("Indiquez une saison entre 2000 et 2100.")
    if Tariff.select().where((Tariff.port == port) & (Tariff.year == year)).exists():
        raise Refused(f"La saison {year} existe déjà.")
    with database.atomic():
        tariff = Tariff.create(port=port, year=year)
        copied = 0
        if copy_from is not None:
            for rate in rates_of(copy_from):
                values = audit.snapshot(rate, RATE_FIELDS)
                values["price_ht_cents"] = _round_div(rate.price_ht_cents * (10000 + uplift_bp), 10000)
                TariffRate.create(tariff=tariff, **values)
                copied += 1
        audit.record(
            user,
            "tariff.create",
            tariff,
            None,
            {
                "year": year,
                "copied_from": copy_from.year if copy_from else None,
                "uplift_bp": uplift_bp,
                "rates": copied,
            },
            ip,
        )
    return tariff


def _check(tariff, values, rate=None):
    category = (values.get("category") or "").strip()
    if not category:
        raise Refused("Indiquez la catégorie de poste, par exemple Ponton.")
    if values.get("period") not in PERIODS:
        raise Refused("Choisissez la période.")
    if values.get("basis") not in BASES:
        raise Refused("Choisissez le mode de calcul.")
    low, high = values.get("length_from_cm"), values.get("length_to_cm")
    if low is None or high is None or low < 0 or high <= low:
        raise Refused("La longueur « jusqu'à » doit dépasser la longueur « à partir de ».")
    if values.get("price_ht_cents") is None or values["price_ht_cents"] < 0:
        raise Refused("Saisissez un prix HT en euros, par exemple 1 266,67.")
    if values.get("vat_rate_bp") not in VAT_RATES:
        raise Refused("Choisissez le taux de TVA.")
    overlapping = TariffRate.select().where(
        (TariffRate.tariff == tariff)
        & (TariffRate.category == category)
        & (TariffRate.period == values["period"])
        & (TariffRate.length_from_cm < high)
        & (TariffRate.length_to_cm > low)
    )
    if rate is not None:
        overlapping = overlapping.where(TariffRate.id != rate.id)
    clash = overlapping.first()
    if clash:
        raise Refused(
            f"Cette bande chevauche la bande {metres(clash.length_from_cm)} – {metres(clash.length_to_cm)} m "
            f"de la même catégorie et de la même période."
        )
    return dict(values, category=category)


def save_rate(user, tariff, values, rate=None, ip=""):
    """Add a rate to the season, or change one; bands of one category and period never overlap."""
    values = _check(tariff, values, rate)
    before = audit.snapshot(rate, RATE_FIELDS) if rate else None
    row = rate or TariffRate(tariff=tariff)
    for name in RATE_FIELDS:
        setattr(row, name, values[name])
    after = audit.snapshot(row, RATE_FIELDS)
    if before == after:
        return row, False
    with database.atomic():
        row.save()
        audit.record(
            user, "tariff.rate_update" if rate else "tariff.rate_add", tariff, before, dict(after, rate=row.id), ip
        )
    return row, True


def delete_rate(user, rate, ip=""):
    with database.atomic():
        audit.record(
            user, "tariff.rate_delete", rate.tariff, dict(audit.snapshot(rate, RATE_FIELDS), rate=rate.id), None, ip
        )
        rate.delete_instance()


def mark_published(user, tariff, document, ip=""):
    """Record the season as published with its PDF (the caller made the PDF and its Document)."""
    before = {"published_at": audit._plain(tariff.published_at), "document": tariff.document_id}
    with database.atomic():
        tariff.published_at = tariff.published_at or utcnow()
        tariff.document = document
        tariff.save()
        audit.record(
            user,
            "tariff.publish",
            tariff,
            before,
            {"published_at": audit._plain(tariff.published_at), "document": document.id},
            ip,
        )
    return tariff
