"""IBAN and BIC checks (schwifty), and the SEPA creditor identifier (python-stdnum), with French messages a
boater or the harbour office can act on; input is normalised first.

schwifty and its bank registry are imported by the first check, not with the app (worker memory).
"""

import re

from stdnum.eu import at_02

from marina_portal.core.refusals import Refusal


class BankDetailsError(Refusal, ValueError):
    """A French message saying what is wrong with the IBAN or the BIC."""


def compact(text):
    """Spaces (also non-breaking) removed and capitals: 'fr76 3000 …' -> 'FR763000…'."""
    return re.sub(r"[\s\u00a0\u202f]", "", text or "").upper()


def grouped(iban):
    """'FR7630006000011234567890189' -> 'FR76 3000 6000 0112 3456 7890 189'."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def masked(iban):
    """Only the first 4 and last 4 characters stay readable once saved."""
    if not iban:
        return ""
    if len(iban) <= 8:
        return iban
    return f"{iban[:4]} {grouped('•' * (len(iban) - 8))} {iban[-4:]}"


def check_iban(text):
    """The normalised IBAN, or BankDetailsError with what is wrong."""
    value = compact(text)
    if not value:
        raise BankDetailsError("Saisissez l'IBAN inscrit sur votre RIB.")
    if not re.fullmatch(r"[A-Z0-9]+", value):
        raise BankDetailsError("L'IBAN ne peut contenir que des lettres et des chiffres (les espaces sont acceptés).")
    if len(value) < 5 or not value[:2].isalpha():
        raise BankDetailsError(
            "Un IBAN commence par le code du pays (2 lettres, FR pour la France) suivi de 2 chiffres de contrôle."
        )
    from schwifty import IBAN
    from schwifty import exceptions as bad

    try:
        iban = IBAN(value)
    except bad.InvalidCountryCode:
        raise BankDetailsError(
            "Le code pays « %(code)s » au début de l'IBAN n'est pas reconnu : vérifiez les deux premières lettres.",
            code=value[:2],
        ) from None
    except bad.InvalidLength:
        expected = IBAN(value, allow_invalid=True).spec.iban_length
        raise BankDetailsError(
            "La longueur de l'IBAN est incorrecte : %(n)s caractères au lieu de "
            "%(expected)s pour un IBAN %(code)s. Vérifiez votre RIB.",
            n=len(value),
            expected=expected,
            code=value[:2],
        ) from None
    except bad.InvalidChecksumDigits:
        raise BankDetailsError(
            "Les chiffres de contrôle de l'IBAN ne correspondent pas : un caractère est "
            "probablement erroné. Vérifiez votre RIB."
        ) from None
    except bad.InvalidBBANChecksum:
        raise BankDetailsError("La clé RIB contenue dans l'IBAN est incorrecte. Vérifiez votre RIB.") from None
    except bad.SchwiftyException:
        raise BankDetailsError("Cet IBAN n'a pas la forme attendue pour ce pays. Vérifiez votre RIB.") from None
    if not iban.in_sepa_zone:
        raise BankDetailsError("Ce compte n'est pas dans la zone SEPA : le prélèvement n'est pas possible.")
    return str(iban.compact)


def bic_for(iban):
    """The BIC of the IBAN's bank when schwifty's registry knows it, else ''."""
    from schwifty import IBAN
    from schwifty import exceptions as bad

    try:
        found = IBAN(iban).bic
    except bad.SchwiftyException:
        return ""
    return str(found) if found else ""


# The European Economic Area: the EU's 27 countries, Iceland, Liechtenstein and Norway.
EEA = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO".split())


def check_bic(text, iban):
    """The normalised 11-character BIC for this IBAN (derived when left empty; empty for an EEA account whose
    bank schwifty does not know), or BankDetailsError."""
    value = compact(text)
    derived = bic_for(iban)
    if not value:
        if derived:
            return _eleven(derived)
        if iban[:2] in EEA:
            return ""  # the rulebook asks no BIC for an account in the EEA: the file says NOTPROVIDED
        raise BankDetailsError("Saisissez le BIC inscrit sur votre RIB (8 ou 11 caractères).")
    from schwifty import BIC
    from schwifty import exceptions as bad

    try:
        bic = BIC(value)
    except bad.InvalidLength:
        raise BankDetailsError("Un BIC compte 8 ou 11 caractères, pas %(n)s.", n=len(value)) from None
    except bad.InvalidCountryCode:
        raise BankDetailsError(
            "Le code pays « %(code)s » du BIC (5e et 6e caractères) n'est pas reconnu.", code=value[4:6]
        ) from None
    except bad.SchwiftyException:
        raise BankDetailsError(
            "Ce BIC n'a pas la forme attendue : 4 lettres pour la banque, 2 pour le pays, "
            "puis 2 ou 5 lettres ou chiffres."
        ) from None
    if bic.country_code != iban[:2] and not _same_sepa_area(bic.country_code, iban[:2]):
        raise BankDetailsError(
            "Le BIC est celui d'une banque du pays %(bic)s, mais l'IBAN est un compte %(iban)s : vérifiez votre RIB.",
            bic=bic.country_code,
            iban=iban[:2],
        )
    if derived and derived[:4] != str(bic)[:4]:
        raise BankDetailsError(
            "Ce BIC n'est pas celui de la banque de cet IBAN (BIC attendu : "
            "%(bic)s). Vérifiez votre RIB ou laissez le BIC vide.",
            bic=_eleven(derived),
        )
    return _eleven(str(bic))


# French IBANs also serve Monaco and the overseas territories, whose banks may carry these BIC countries.
_FRENCH_AREA = {"FR", "MC", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}


def _same_sepa_area(a, b):
    return a in _FRENCH_AREA and b in _FRENCH_AREA


def _eleven(bic):
    return bic if len(bic) == 11 else bic + "XXX"


_CREDITOR_ID = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}")


def check_creditor_id(text):
    """The normalised SEPA creditor identifier (ICS), or BankDetailsError: its form, then its check digits."""

    value = compact(text)
    if not value:
        raise BankDetailsError("Saisissez l'identifiant créancier SEPA (ICS) attribué au port.")
    if not _CREDITOR_ID.fullmatch(value) or (value.startswith("FR") and len(value) != 13):
        raise BankDetailsError(
            "Un ICS s'écrit : le code pays (2 lettres), 2 chiffres de contrôle, un code d'activité de 3 caractères "
            "(ZZZ en général) puis l'identifiant national (6 caractères en France), par exemple FR72ZZZ123456."
        )
    if not at_02.is_valid(value):
        raise BankDetailsError(
            "Les chiffres de contrôle de l'ICS « %(ics)s » ne correspondent pas : un caractère est probablement "
            "erroné. Recopiez-le depuis le courrier de votre banque.",
            ics=value,
        )
    return value


def creditor_id_problem(text):
    """The French message when the ICS is not valid, else None."""
    try:
        check_creditor_id(text)
    except BankDetailsError as e:
        return str(e)
    return None
