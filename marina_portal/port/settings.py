"""The port's own settings; the bank terminal key is written but never read back to a page or the audit."""

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.models import Port

FIELDS = (
    "name",
    "code",
    "street",
    "postcode",
    "town",
    "phone",
    "email",
    "hours",
    "creditor_id",
    "iban",
    "bic",
    "monetico_tpe",
    "monetico_company",
    # the seller's legal identity on invoices (checked by the form: billing/legal.py)
    "legal_name",
    "legal_form",
    "legal_status",
    "siren",
    "siret",
    "vat_number",
    "share_capital",
    "rcs",
    "vat_regime",
    "payment_terms",
    "late_penalty",
)
NUMBERS = ("payment_days",)


def update(user, port, values, new_key="", ip=""):
    """Save the settings; an empty `new_key` keeps the stored terminal key. Fields absent from `values` stay."""
    before = audit.snapshot(port, FIELDS + NUMBERS)
    for name in FIELDS:
        if name in values:
            setattr(port, name, (values.get(name) or "").strip())
    for name in NUMBERS:
        if values.get(name) is not None:
            setattr(port, name, int(values[name]))
    port.code = port.code.upper()
    after = audit.snapshot(port, FIELDS + NUMBERS)
    if new_key:
        port.monetico_key = new_key
        before["monetico_key"], after["monetico_key"] = audit.REDACTED, "(nouvelle clé)"
    return audit.save_if_changed(user, "port.settings", port, before, after, ip)


def first_port(code):
    """On an empty database, the port row every page needs (named after its code until Paramètres); else None."""
    code = (code or "PORT").strip().upper()
    with database.atomic():
        if Port.select().exists():
            return None
        return Port.create(name=code, code=code)
