"""French display and parsing of money (integer cents) and of UTC times shown in Europe/Paris."""

import calendar
import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import gettext

PARIS = ZoneInfo("Europe/Paris")


def euros(cents: int | None, symbol: bool = True) -> str:
    """152000 -> '1 520,00 €' (plain spaces, so the text reads the same everywhere)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    grouped = f"{units:,}".replace(",", " ")
    text = f"{sign}{grouped},{rest:02d}"
    return f"{text} €" if symbol else text


_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


def parse_euros(text: str | None) -> int | None:
    """'2340', '2 340,00', '2340.00', '2 340,00 €', '2.340,00' -> 234000; None when unreadable."""
    if text is None:
        return None
    cleaned = re.sub(r"[\s\u00a0\u202f€]|EUR", "", str(text), flags=re.I)
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        cleaned = cleaned.replace(thousands, "")
    elif cleaned.count(".") > 1 or re.search(r"\.\d{3}$", cleaned):
        cleaned = cleaned.replace(".", "")
    if not _AMOUNT.match(cleaned):
        return None
    units, _, rest = cleaned.replace(",", ".").partition(".")
    return int(units) * 100 + int((rest + "00")[:2])


def metres(centimetres: int | None, unit: bool = True) -> str:
    """950 -> '9,50 m'; without the unit '9,50' (what a form field or a CSV cell holds). No size (None or 0) -> '—',
    or '' without the unit."""
    if not centimetres:
        return "—" if unit else ""
    sign = "-" if centimetres < 0 else ""
    units, rest = divmod(abs(int(centimetres)), 100)
    return f"{sign}{units},{rest:02d} m" if unit else f"{sign}{units},{rest:02d}"


def fr_decimal(value: int | None, places: int, min_places: int = 0) -> str:
    """An integer counted in 10^-places units, in French: fr_decimal(312500, 3) -> '312,5', grouped by thousands."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    units, rest = divmod(abs(int(value)), 10**places)
    decimals = f"{rest:0{places}d}".rstrip("0") if places else ""
    decimals = decimals.ljust(min_places, "0")
    grouped = f"{units:,}".replace(",", " ")
    return f"{sign}{grouped},{decimals}" if decimals else f"{sign}{grouped}"


def quantity(milli: int | None) -> str:
    """Thousandths -> '312,5', '1', '2,25'."""
    return fr_decimal(milli, 3)


def vat_rate(basis_points: int | None) -> str:
    """Basis points -> '5,5 %', '20 %'."""
    return f"{fr_decimal(basis_points, 2)} %"


def unit_price(e4: int | None, symbol: bool = True) -> str:
    """A price in 1/10000 € -> '0,2316 €', '1 520,00 €': cents always, the last two decimals when they count."""
    text = fr_decimal(e4, 4, min_places=2)
    return f"{text} €" if symbol else text


_DECIMAL = re.compile(r"^-?\d+(?:[.,](\d+))?$")


def parse_decimal(text: str | None, places: int) -> int | None:
    """'312,5' with places=3 -> 312500; '0,2316 €' with places=4 -> 2316; None when unreadable or too precise."""
    if text is None:
        return None
    cleaned = re.sub(r"[\s\u00a0\u202f€%]|EUR", "", str(text), flags=re.I)
    found = _DECIMAL.match(cleaned)
    if not found or len(found.group(1) or "") > places:
        return None
    negative = cleaned.startswith("-")
    units, _, rest = cleaned.lstrip("-").replace(",", ".").partition(".")
    value = int(units) * 10**places + int((rest + "0" * places)[:places])
    return -value if negative else value


def parse_metres(text: str | None) -> int | None:
    """'9,50', '9.5', '9.5 m' or '9' metres -> 950 centimetres; None when unreadable (same grammar as amounts)."""
    if text is None:
        return None
    return parse_euros(re.sub(r"\s*(m|mètres?|metres?)\.?\s*$", "", str(text).strip(), flags=re.I))


def parse_french_date(text: str | None) -> dt.date | None:
    """'15/01/2026', '15-01-2026', '15.01.2026' or ISO '2026-01-15' -> date; None when unreadable."""
    text = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier, when negative), or that month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def to_paris(moment: dt.datetime | None) -> dt.datetime | None:
    """A naive UTC datetime -> aware Europe/Paris datetime."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(PARIS)


def paris_today() -> dt.date:
    return dt.datetime.now(PARIS).date()


def paris_date(moment: dt.datetime | None) -> dt.date | None:
    """The calendar day in Paris of a naive UTC datetime (00:30 in Paris on 11 June is still 10 June in UTC)."""
    return to_paris(moment).date() if moment is not None else None


def fr_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_paris(value)
    return value.strftime("%d/%m/%Y")


def fr_datetime(value: dt.datetime | None, fmt: str | None = None, seconds: bool = False) -> str:
    """Paris time; without `fmt`, "27/11/2026 à 14:05" in the reader's language ("at" in English)."""
    if fmt is None:
        fmt = gettext("%d/%m/%Y à %H:%M:%S") if seconds else gettext("%d/%m/%Y à %H:%M")
    return to_paris(value).strftime(fmt) if value else ""


def w3c(value: dt.date | dt.datetime | None) -> str:
    """A date, or a naive UTC datetime, as a W3C date (PDF metadata): "2026-01-15", "2026-01-15T09:30:00Z"."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        euros=euros,
        metres=metres,
        fr_date=fr_date,
        fr_datetime=fr_datetime,
        quantity=quantity,
        vat_rate=vat_rate,
        unit_price=unit_price,
        w3c=w3c,
    )


def folded(text: str | None) -> str:
    """Text compared without case nor accents, the same way on SQLite and PostgreSQL: 'MÜLLER' and 'Müller'
    both give 'muller', 'Straße' gives 'strasse'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
