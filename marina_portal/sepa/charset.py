"""The EPC's Latin character set for SEPA files: what may reach the bank, transliterated, and RUM letters."""

import re

from text_unidecode import unidecode

# The EPC implementation guidelines' basic set: letters, digits, space and / - ? : ( ) . , ' +
_OUTSIDE = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_BEFORE = str.maketrans({"«": "'", "»": "'", "“": "'", "”": "'", '"': "'", "&": "+", "°": "o", "º": "o", "–": "-"})


def epc_text(value, length):
    """The text in the EPC set: accents dropped, quotes made apostrophes, anything else a space, then cut."""
    text = unidecode((value or "").translate(_BEFORE))
    text = re.sub(r"\s+", " ", _OUTSIDE.sub(" ", text)).strip()
    return text[:length].rstrip()


def rum_letters(value):
    """Capital letters and digits only, accents dropped: 'Sète Plaisance' -> 'SETEPLAISANCE'."""
    return re.sub(r"[^A-Z0-9]", "", unidecode(value or "").upper())
