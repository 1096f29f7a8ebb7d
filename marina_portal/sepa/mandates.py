"""SEPA mandates: the RUM, the debtor's details, signing with evidence and a sealed PDF, revocation, lapse."""

import datetime as dt
import secrets

from peewee import IntegrityError

from marina_portal.core.db import database
from marina_portal.core.i18n import N_, Translatable
from marina_portal.models import Mandate, utcnow
from marina_portal.sealing import evidence
from marina_portal.sepa import bank_details

SUBJECT = "mandate"
REVISION = 1  # a mandate's text never changes once signed; new details mean a new mandate
LAPSE_MONTHS = 36
RUM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: a RUM is read aloud on the phone
SIGN_DECLARATION = (
    "Je signe ce mandat de prélèvement SEPA et j'autorise le créancier à prélever mon compte selon ses termes."
)


class MandateError(Translatable):
    """A French message: why this act is not possible now."""


# Our own wording of the debtor's rights, shown on the page, in the PDF and in the signed text (in French);
# the page shows its English translation, the EPC's wording, to an English reader.
LEGAL_TEXT = N_(
    "En signant ce mandat, vous permettez à %(creditor)s de demander à votre banque des prélèvements "
    "sur votre compte, et à votre banque d'exécuter ces demandes. Votre banque vous rembourse un "
    "prélèvement si vous le lui demandez, dans les conditions de la convention de compte que vous avez "
    "signée avec elle : dans les 8 semaines qui suivent la date où votre compte a été débité, sans avoir à "
    "donner de motif ; et jusqu'à 13 mois après ce débit lorsque le prélèvement n'avait pas été autorisé. "
    "Votre banque peut vous renseigner sur vos droits."
)


def legal_text(creditor_name):
    return LEGAL_TEXT % {"creditor": creditor_name}


def new_rum(port, customer):
    """A fresh reference (≤ 35 characters, SEPA letters and digits only) that no mandate has ever used."""
    prefix = "".join(c for c in port.code.upper() if c.isalnum())[:12]
    return f"{prefix}-{customer.id:06d}-{''.join(secrets.choice(RUM_ALPHABET) for _ in range(10))}"


def current(customer):
    """The customer's active mandate, else their draft, else None."""
    rows = list(
        Mandate.select()
        .where((Mandate.customer == customer) & Mandate.status.in_(["active", "draft"]))
        .order_by(Mandate.id.desc())
    )
    active = [m for m in rows if m.status == "active"]
    return (active or rows or [None])[0]


def history(customer):
    return list(
        Mandate.select()
        .where((Mandate.customer == customer) & Mandate.status.in_(["revoked", "lapsed"]))
        .order_by(Mandate.id.desc())
    )


def open_for(port, customer):
    """The mandate to show: the active one, the draft, or a new draft prefilled from the customer record.

    A draft keeps its RUM until it is signed; a revoked or lapsed mandate is never reopened.
    """
    mandate = current(customer)
    if mandate is not None:
        return mandate
    for _ in range(5):
        try:
            with database.atomic():
                return Mandate.create(
                    customer=customer,
                    rum=new_rum(port, customer),
                    status="draft",
                    debtor_name=customer.full_name,
                    street=customer.street,
                    postcode=customer.postcode,
                    town=customer.town,
                    country=customer.country or "FR",
                )
        except IntegrityError:  # the same RUM drawn twice: draw again
            continue
    raise MandateError("Impossible d'attribuer une référence de mandat ; réessayez.")


def save_details(mandate, debtor_name, street, postcode, town, country, iban, bic):
    """Store the debtor's details on a draft; the IBAN and BIC are checked (BankDetailsError) before any write."""
    if mandate.status != "draft":
        raise MandateError("Ce mandat est déjà signé : il ne peut plus être modifié.")
    iban = bank_details.check_iban(iban)
    bic = bank_details.check_bic(bic, iban)
    with database.atomic():
        mandate.debtor_name = debtor_name.strip()[:70]
        mandate.street, mandate.postcode = street.strip()[:70], postcode.strip()[:16]
        mandate.town, mandate.country = town.strip()[:35], (country.strip().upper() or "FR")[:2]
        mandate.iban, mandate.bic = iban, bic
        mandate.save()
    return mandate


def is_complete(mandate):
    return bool(mandate.iban and mandate.bic and mandate.debtor_name and mandate.street and mandate.town)


def text(mandate, port):
    """The mandate's words as signed: its SHA-256 goes into the evidence."""
    lines = [
        "MANDAT DE PRELEVEMENT SEPA",
        f"REFERENCE UNIQUE DU MANDAT (RUM) : {mandate.rum}",
        "POUR UN PRELEVEMENT RECURRENT",
        legal_text(port.name),
        "Nom et adresse du créancier",
        f"{port.name}, {port.street}, {port.postcode} {port.town}, {port.country}",
        f"Identifiant créancier SEPA (ICS) : {port.creditor_id}",
        "Nom et adresse du débiteur",
        f"Nom : {mandate.debtor_name}",
        f"Adresse : {mandate.street}, {mandate.postcode} {mandate.town}, {mandate.country}",
        "Coordonnées du compte bancaire",
        f"IBAN : {bank_details.grouped(mandate.iban)}",
        f"BIC : {mandate.bic}",
    ]
    return "\n".join(lines) + "\n"


def sign(mandate, port, user, client):
    """The boater's explicit act: evidence, a sealed PDF kept by the port, and the mandate becomes active."""
    from marina_portal.core.pdf import render_pdf
    from marina_portal.core.storage import save_bytes
    from marina_portal.sealing.seals import seal_pdf

    if mandate.status != "draft":
        raise MandateError("Ce mandat n'est plus à signer.")
    if not is_complete(mandate):
        raise MandateError("Complétez et enregistrez vos coordonnées bancaires avant de signer.")
    if Mandate.select().where((Mandate.customer == mandate.customer_id) & (Mandate.status == "active")).exists():
        raise MandateError("Vous avez déjà un mandat actif : révoquez-le avant d'en signer un autre.")
    words = text(mandate, port)
    digest = evidence.sha256(words.encode("utf-8"))
    signed_at = utcnow()
    mandate.signed_at = signed_at
    pdf = render_pdf(
        "pdf/mandate.html",
        port=port,
        mandate=mandate,
        legal=legal_text(port.name),
        iban=bank_details.grouped(mandate.iban),
        text_sha256=digest,
        signer=user.email,
    )
    sealed = seal_pdf(pdf, reason=f"Mandat de prélèvement SEPA {mandate.rum} signé", signer_name=port.name)
    stored, pdf_digest = save_bytes("mandates", sealed, ".pdf")
    with database.atomic():
        evidence.record_step(SUBJECT, mandate.id, REVISION, 1, user, f"{SIGN_DECLARATION}\n\n{words}", digest, client)
        updated = (
            Mandate.update(status="active", signed_at=signed_at, signed_pdf=stored, signed_pdf_sha256=pdf_digest)
            .where((Mandate.id == mandate.id) & (Mandate.status == "draft"))
            .execute()
        )
        if not updated:
            raise MandateError("Ce mandat n'est plus à signer.")
    return Mandate.get_by_id(mandate.id)


def revoke(mandate):
    """The boater withdraws the mandate: no further collection under this RUM."""
    if mandate.status != "active":
        raise MandateError("Seul un mandat signé et actif peut être révoqué.")
    with database.atomic():
        Mandate.update(status="revoked", revoked_at=utcnow()).where(Mandate.id == mandate.id).execute()
    return Mandate.get_by_id(mandate.id)


def months_before(day, months):
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue


def lapse_dormant(today):
    """Active mandates with no collection for 36 months (counted from signing when never used) lapse."""
    limit = months_before(today, LAPSE_MONTHS)
    dormant = [
        m
        for m in Mandate.select().where(Mandate.status == "active")
        if (m.last_collection_on or (m.signed_at.date() if m.signed_at else today)) <= limit
    ]
    with database.atomic():
        for mandate in dormant:
            Mandate.update(status="lapsed").where(Mandate.id == mandate.id).execute()
    return [m.rum for m in dormant]
