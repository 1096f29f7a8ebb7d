"""What French law asks an invoice to say: the seller's identifiers checked, the VAT regime, the mentions.

References: article 242 nonies A of annexe II of the CGI (mentions of an invoice), L441-9 and L441-10 of the
Code de commerce (payment terms, late-payment penalties and the 40 € recovery indemnity owed by businesses),
D441-5 (the indemnity's amount), 293 B (VAT franchise) and 256 B (public bodies outside VAT) of the CGI.
"""

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from marina_portal.core.refusals import Refusal

LEGAL_STATUSES = {"public": "Régie (personne publique)", "company": "Société"}
VAT_REGIMES = {
    "receipts": "TVA exigible à l'encaissement (régime des prestations de services)",
    "debits": "Option pour le paiement de la TVA d'après les débits",
    "franchise": "Franchise en base de TVA (article 293 B du CGI)",
    "not_subject": "Personne publique non assujettie (article 256 B du CGI)",
}
CUSTOMER_KINDS = {"individual": "Particulier", "business": "Professionnel (entreprise, association…)"}
NO_VAT_REGIMES = ("franchise", "not_subject")
VAT_MENTIONS = {
    "debits": "Option pour le paiement de la taxe d'après les débits.",
    "franchise": "TVA non applicable, article 293 B du CGI.",
    "not_subject": "TVA non applicable, article 256 B du CGI.",
}
DEFAULT_LATE_PENALTY = (
    "taux de la Banque centrale européenne à son opération de refinancement la plus récente majoré de 10 points"
)
RECOVERY_INDEMNITY = (
    "Indemnité forfaitaire pour frais de recouvrement due en cas de retard de paiement : 40 € "
    "(articles L441-10 et D441-5 du Code de commerce)."
)
NO_DISCOUNT = "Escompte pour paiement anticipé : néant."
DEFAULT_PAYMENT_TERMS = (
    "à régler au plus tard à la date d'échéance, par carte bancaire sur le portail, chèque, virement "
    "ou prélèvement SEPA"
)


class IdentifierError(Refusal, ValueError):
    """An identifier that can't be right, with the words to show."""


def _digits(text):
    return "".join(c for c in (text or "") if not c.isspace() and c not in ".-")


def check_siren(text):
    """'732 829 320' -> '732829320'; '' stays ''."""
    value = _digits(text)
    if not value:
        return ""
    try:
        return fr_siren.validate(value)
    except ValidationError:
        raise IdentifierError("Ce numéro SIREN n'est pas valide : 9 chiffres, vérifiez la saisie.") from None


def check_siret(text, siren=""):
    """A SIRET of 14 digits whose first 9 are the SIREN (when one is given)."""
    value = _digits(text)
    if not value:
        return ""
    try:
        value = fr_siret.validate(value)
    except ValidationError:
        raise IdentifierError("Ce numéro SIRET n'est pas valide : 14 chiffres, vérifiez la saisie.") from None
    if siren and value[:9] != siren:
        raise IdentifierError("Le SIRET doit commencer par le SIREN.")
    return value


def check_vat_number(text, siren=""):
    """An intra-EU VAT number ('FR44732829320', other EU countries too); a French one must match the SIREN."""
    value = _digits(text).upper()
    if not value:
        return ""
    try:
        value = eu_vat.validate(value)
    except ValidationError:
        raise IdentifierError(
            "Ce numéro de TVA intracommunautaire n'est pas valide (par exemple FR44732829320)."
        ) from None
    if siren and value.startswith("FR") and value[-9:] != siren:
        raise IdentifierError("Ce numéro de TVA ne correspond pas au SIREN.")
    return value


def missing_identity(port):
    """What the port must still enter in Paramètres before it may issue an invoice (French words)."""
    missing = []
    if not port.siren:
        missing.append("le SIREN")
    if charges_vat(port) and not port.vat_number:
        missing.append("le numéro de TVA intracommunautaire")
    if not (port.street and port.postcode and port.town):
        missing.append("l'adresse")
    return missing


def charges_vat(port):
    return port.vat_regime not in NO_VAT_REGIMES


def seller_name(port):
    return port.legal_name or port.name


def seller_lines(port):
    """The seller's identity as printed: form, capital, SIREN/SIRET, RCS, VAT number."""
    lines = []
    if port.legal_form:
        lines.append(port.legal_form + (f" au capital de {port.share_capital}" if port.share_capital else ""))
    if port.siren:
        lines.append(f"SIREN {port.siren}" + (f" — SIRET {port.siret}" if port.siret else ""))
    if port.rcs and port.legal_status == "company":
        lines.append(port.rcs)
    if port.vat_number:
        lines.append(f"N° TVA intracommunautaire : {port.vat_number}")
    return lines


def payment_mentions(port, customer):
    """Payment terms, discount, and for a business buyer the penalty rate and the 40 € indemnity."""
    lines = []
    lines.append(f"Conditions de paiement : {port.payment_terms or DEFAULT_PAYMENT_TERMS}.")
    lines.append(NO_DISCOUNT)
    if customer.is_business:
        lines.append(f"Pénalités de retard : {port.late_penalty or DEFAULT_LATE_PENALTY}.")
        lines.append(RECOVERY_INDEMNITY)
    return lines


def vat_mention(port):
    return VAT_MENTIONS.get(port.vat_regime, "")
