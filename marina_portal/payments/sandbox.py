"""The bank sandbox: plays Monetico's payment page for development, speaking only the public protocol.

It checks a payment request like the bank would, then builds and sends the signed CGI2
notification to the merchant over real HTTP, exactly as an outside bank would.
"""

import base64
import binascii
import datetime as dt
import hashlib
import json
import re

import requests

from marina_portal.core.formats import PARIS
from marina_portal.payments.monetico import parse_amount, seal, seal_matches

REQUIRED = (
    "TPE",
    "date",
    "montant",
    "reference",
    "lgue",
    "societe",
    "version",
    "contexte_commande",
    "url_retour_ok",
    "url_retour_err",
    "MAC",
)
OPTIONAL = ("texte-libre", "mail")
LANGUAGES = ("FR", "EN", "DE", "IT", "ES", "NL", "PT", "SV", "JA")


class BadSeal(Exception):
    """The request's MAC does not match: the bank shows its error page."""


def check_request(fields, merchant):
    """The problems with a payment request (empty when good); raises BadSeal when the seal is wrong."""
    problems = [f"champ {name} absent" for name in REQUIRED if name not in fields]
    problems += [f"champ {name} inconnu" for name in fields if name not in REQUIRED + OPTIONAL]
    if problems:
        return problems
    if not seal_matches(fields, merchant.key):
        raise BadSeal()
    checks = [
        (re.fullmatch(r"[A-Za-z0-9]{7}", fields["TPE"]) and fields["TPE"] == merchant.terminal, "TPE inconnu"),
        (_date_ok(fields["date"]), "date invalide"),
        (parse_amount(fields["montant"])[0] is not None, "montant invalide"),
        (re.fullmatch(r"[A-Za-z0-9]{1,50}", fields["reference"]), "référence invalide"),
        (fields["lgue"] in LANGUAGES, "langue invalide"),
        (fields["societe"] == merchant.company, "code société inconnu"),
        (fields["version"] == "3.0", "version invalide"),
        (_billing_ok(fields["contexte_commande"]), "contexte_commande invalide"),
        (
            len(fields.get("texte-libre", "")) <= 3200 and "\n" not in fields.get("texte-libre", ""),
            "texte-libre invalide",
        ),
        (
            all(fields[k].startswith(("http://", "https://")) for k in ("url_retour_ok", "url_retour_err")),
            "URL de retour invalide",
        ),
    ]
    return [message for ok, message in checks if not ok]


def _date_ok(text):
    try:
        dt.datetime.strptime(text, "%d/%m/%Y:%H:%M:%S")
    except ValueError:
        return False
    return True


def _billing_ok(text):
    try:
        billing = json.loads(base64.b64decode(text, validate=True).decode("utf-8"))["billing"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return False
    return (
        isinstance(billing, dict)
        and all(billing.get(k) for k in ("addressLine1", "city", "postalCode"))
        and re.fullmatch(r"[A-Z]{2}", str(billing.get("country", ""))) is not None
    )


def notification(fields, accepted, key, client_ip="127.0.0.1"):
    """The signed CGI2 fields the bank posts to the merchant for that request and decision."""
    auth = {
        "status": "authenticated" if accepted else "authentication_rejected",
        "protocol": "3DSecure",
        "version": "2.2.0",
        "details": {"liabilityShift": "Y" if accepted else "N"},
    }
    note = {
        "TPE": fields["TPE"],
        "date": dt.datetime.now(PARIS).strftime("%d/%m/%Y_a_%H:%M:%S"),
        "montant": fields["montant"],
        "reference": fields["reference"],
        "texte-libre": fields.get("texte-libre", ""),
        "code-retour": "payetest" if accepted else "Annulation",
        "cvx": "oui",
        "vld": "1230",
        "brand": "CB",
        "usage": "debit",
        "typecompte": "particulier",
        "ecard": "non",
        "originecb": "FRA",
        "bincb": "497010",
        "hpancb": hashlib.sha1(fields["reference"].encode(), usedforsecurity=False).hexdigest().upper(),
        "ipclient": client_ip,
        "originetr": "FRA",
        "modepaiement": "CB",
        "authentification": base64.b64encode(json.dumps(auth).encode()).decode(),
    }
    if accepted:
        note["numauto"] = "123456"
    else:
        note["motifrefus"] = "Refus"
    note["MAC"] = seal(note, key).upper()
    return note


def send_notification(url, note):
    """POST the notification to the merchant; True when it acknowledged a good seal."""
    try:
        response = requests.post(url, data=note, timeout=15)
    except requests.RequestException:
        return False
    return response.status_code == 200 and "cdr=0" in response.text
