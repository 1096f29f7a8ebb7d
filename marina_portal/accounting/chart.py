"""The port's chart of accounts: one account per purpose (sales per berth category, VAT per rate, ...).

Unset purposes take the usual French plan comptable numbers below, so an export works before anyone sets it.
"""

from dataclasses import dataclass

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.refusals import Refusal
from marina_portal.models import LedgerAccount

# purpose -> (default number, default label, what it is for)
PURPOSES = {
    "sales": ("706000", "Prestations de services", "Ventes (par catégorie de poste)"),
    "vat": ("445710", "TVA collectée", "TVA collectée (par taux)"),
    "customers": ("411000", "Clients", "Clients"),
    "bank": ("512000", "Banque", "Banque (carte, virement, prélèvement, remises)"),
    "cheques": ("511200", "Chèques à encaisser", "Chèques à encaisser"),
    "cash": ("530000", "Caisse", "Caisse (espèces)"),
    "credits": ("709000", "Rabais, remises et ristournes accordés", "Crédits absence déduits"),
}
VAT_DEFAULTS = {2000: "445712", 1000: "445711", 550: "445713", 210: "445714"}
# How each kind of payment reaches the accounts.
PAYMENT_ACCOUNTS = {
    "cheque": "cheques",
    "cash": "cash",
    "absence_credit": "credits",
}  # card, transfer, direct debit and refunds: the bank


class Refused(Refusal):
    """An account that can't be saved, with the words to show."""


@dataclass(frozen=True)
class Account:
    number: str
    label: str


class Chart:
    """The port's accounts, read once for a whole export."""

    def __init__(self, port):
        self.rows = {(a.purpose, a.key): a for a in LedgerAccount.select().where(LedgerAccount.port == port)}

    def get(self, purpose, key=""):
        key = str(key or "")
        row = self.rows.get((purpose, key))
        if row is None and purpose == "sales":
            row = self.rows.get(("sales", ""))  # a category without an account of its own: the port's sales account
        if row is not None:
            return Account(row.number, row.label)
        number, label, _ = PURPOSES[purpose]
        if purpose == "vat" and key:
            rate = int(key)
            return Account(VAT_DEFAULTS.get(rate, number), f"{label} {rate / 100:g} %".replace(".", ","))
        if purpose == "sales" and key:
            return Account(number, f"{label} {key}")
        return Account(number, label)

    def for_payment(self, method):
        return self.get(PAYMENT_ACCOUNTS.get(method, "bank"))


def save(user, port, purpose, key, number, label, ip=""):
    """Set the account of one purpose (and key); digits first, as the plan comptable wants."""
    number, label, key = (number or "").strip(), (label or "").strip(), str(key or "")
    if purpose not in PURPOSES:
        raise Refused("Compte inconnu.")
    if not number.isalnum() or not number[:1].isdigit() or len(number) > 20:
        raise Refused(f"« {number} » : un numéro de compte commence par un chiffre (par exemple 706100).")
    if not label or len(label) > 100:
        raise Refused("Indiquez le libellé du compte.")
    row = LedgerAccount.get_or_none(
        (LedgerAccount.port == port) & (LedgerAccount.purpose == purpose) & (LedgerAccount.key == key)
    )
    before = audit.snapshot(row, ("purpose", "key", "number", "label")) if row else None
    if row and (row.number, row.label) == (number, label):
        return False
    with database.atomic():
        row = row or LedgerAccount(port=port, purpose=purpose, key=key)
        row.number, row.label = number, label
        row.save()
        audit.record(user, "chart.account", row, before, audit.snapshot(row, ("purpose", "key", "number", "label")), ip)
    return True
