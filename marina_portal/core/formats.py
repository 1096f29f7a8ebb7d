"""French display and parsing of money (integer cents) and of UTC times shown in Europe/Paris."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask_babel import gettext

PARIS = ZoneInfo("Europe/Paris")


def euros(cents, symbol=True):
    """152000 -> '1 520,00 €' (plain spaces, so the text reads the same everywhere)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    grouped = f"{units:,}".replace(",", " ")
    text = f"{sign}{grouped},{rest:02d}"
    return f"{text} €" if symbol else text


_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


def parse_euros(text):
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


def parse_metres(text):
    """'9,50', '9.5', '9.5 m' or '9' metres -> 950 centimetres; None when unreadable (same grammar as amounts)."""
    if text is None:
        return None
    return parse_euros(re.sub(r"\s*(m|mètres?|metres?)\.?\s*$", "", str(text).strip(), flags=re.I))


def parse_french_date(text):
    """'15/01/2026', '15-01-2026', '15.01.2026' or ISO '2026-01-15' -> date; None when unreadable."""
    text = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def to_paris(moment):
    """A naive UTC datetime -> aware Europe/Paris datetime."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(PARIS)


def paris_today():
    return dt.datetime.now(PARIS).date()


def fr_date(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_paris(value)
    return value.strftime("%d/%m/%Y")


def fr_datetime(value, fmt=None, seconds=False):
    """Paris time; without `fmt`, "27/11/2026 à 14:05" in the reader's language ("at" in English)."""
    if fmt is None:
        fmt = gettext("%d/%m/%Y à %H:%M:%S") if seconds else gettext("%d/%m/%Y à %H:%M")
    return to_paris(value).strftime(fmt) if value else ""


def init_app(app):
    app.jinja_env.filters.update(euros=euros, fr_date=fr_date, fr_datetime=fr_datetime)
