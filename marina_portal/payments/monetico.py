"""Monetico Paiement (CM-CIC), protocol 3.0: the hosted payment form, its seal, and the CGI2 notification."""

import base64
import hashlib
import hmac
import json
import re

from marina_portal.core.formats import PARIS
from marina_portal.payments.gateway import (
    ACCEPTED,
    OTHER,
    REFUSED,
    TEST_IGNORED,
    BankResult,
    Gateway,
    PaymentRequest,
    register,
)

VERSION = "3.0"
ACK_OK = "version=2\ncdr=0\n"
ACK_BAD = "version=2\ncdr=1\n"
_AMOUNT = re.compile(r"^(\d+)(?:\.(\d{1,2}))?([A-Z]{3})$")


def usable_key(key):
    """The 20 key bytes from the 40-character key, mending the non-hex endings of old keys."""
    chars = list(key)
    a, b = chars[38], chars[39]
    if 70 < ord(a) < 97:
        chars[38] = chr(ord(a) - 23)
    elif b == "M":
        chars[39] = "0"
    return bytes.fromhex("".join(chars))


def key_problem(key):
    """Why a terminal key cannot seal (a French sentence), or None: 40 characters, hex once old endings mended."""
    key = (key or "").strip()
    if len(key) != 40:
        return f"La clé du terminal compte 40 caractères, pas {len(key)}."
    try:
        usable_key(key)
    except ValueError:
        return (
            "La clé du terminal ne contient que des chiffres et les lettres A à F (les deux derniers caractères "
            "peuvent différer sur les anciennes clés) : elle a sans doute été mal recopiée."
        )
    return None


def seal_text(fields):
    """`name=value` pairs of every field but MAC, sorted by name in byte order, joined by `*`."""
    pairs = sorted(((k, v) for k, v in fields.items() if k != "MAC"), key=lambda kv: kv[0].encode("utf-8"))
    return "*".join(f"{name}={value}" for name, value in pairs)


def seal(fields, key):
    """The MAC (lowercase hex HMAC-SHA1) over the fields."""
    return hmac.new(usable_key(key), seal_text(fields).encode("utf-8"), hashlib.sha1).hexdigest()


def seal_matches(fields, key):
    given = str(fields.get("MAC", "")).lower().encode("ascii", "replace")
    try:
        expected = seal(fields, key).encode("ascii")
    except ValueError:  # a key that is not hex: nothing can match
        return False
    return hmac.compare_digest(given, expected)


def amount_text(cents, currency="EUR"):
    return f"{cents // 100}.{cents % 100:02d}{currency}"


def parse_amount(text):
    """'850.00EUR' -> (85000, 'EUR'); (None, '') when unreadable."""
    found = _AMOUNT.match(text or "")
    if not found:
        return None, ""
    units, decimals, currency = found.groups()
    return int(units) * 100 + int((decimals or "").ljust(2, "0")), currency


def order_context(billing):
    """contexte_commande: base64 of the UTF-8 JSON, with null or empty members left out."""
    members = {k: v for k, v in billing.items() if v}
    text = json.dumps({"billing": members}, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def clean_free_text(text):
    """texte-libre: one line, plain characters, at most 3200."""
    return re.sub(r"[^\w .,:/'()+-]", " ", text or "", flags=re.ASCII)[:3200]


@register
class MoneticoGateway(Gateway):
    name = "monetico"

    def build_request(self, *, reference, amount_cents, when, email, billing, free_text, return_ok, return_err):
        fields = {
            "TPE": self.merchant.terminal,
            "date": when.astimezone(PARIS).strftime("%d/%m/%Y:%H:%M:%S"),
            "montant": amount_text(amount_cents),
            "reference": reference,
            "lgue": "FR",
            "societe": self.merchant.company,
            "version": VERSION,
            "contexte_commande": order_context(billing),
            "texte-libre": clean_free_text(free_text),
            "url_retour_ok": return_ok,
            "url_retour_err": return_err,
        }
        if email:
            fields["mail"] = email
        fields["MAC"] = seal(fields, self.merchant.key)
        return PaymentRequest(self.merchant.url, list(fields.items()))

    def problem(self):
        return key_problem(self.merchant.key)

    def verify(self, fields):
        return seal_matches(fields, self.merchant.key)

    def read(self, fields):
        cents, currency = parse_amount(fields.get("montant"))
        code = fields.get("code-retour", "")
        if code == "paiement":
            status = ACCEPTED
        elif code == "payetest":  # paid with a public test card: money only on a test terminal
            status = ACCEPTED if self.merchant.test else TEST_IGNORED
        elif code == "Annulation":
            status = REFUSED
        else:  # the bank's own split payment (paiement_pfN) is not used: card instalments are paid one by one
            status = OTHER
        return BankResult(fields.get("reference", ""), cents, currency, status, code)

    def acknowledge(self, seal_valid):
        return (ACK_OK if seal_valid else ACK_BAD), 200, {"Content-Type": "text/plain; charset=utf-8"}
