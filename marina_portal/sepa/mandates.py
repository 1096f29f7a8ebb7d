"""SEPA mandates: the RUM, the debtor's details, signing with evidence and a sealed PDF, revocation, lapse."""

import datetime as dt
import logging
import secrets

from flask import current_app
from peewee import IntegrityError

from marina_portal.core.db import database
from marina_portal.core.formats import add_months, fr_date
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.pdf import render_pdf
from marina_portal.core.refusals import Refusal
from marina_portal.core.storage import save_bytes
from marina_portal.core.urls import external_url
from marina_portal.models import Customer, Mandate, MandateStatus, Port, User, utcnow
from marina_portal.sealing import evidence
from marina_portal.sealing.seals import SealError, seal_pdf, timestamped
from marina_portal.sepa import bank_details
from marina_portal.sepa.charset import rum_letters

SUBJECT = "mandate"
REVISION = 1  # a mandate's text never changes once signed; new details mean a new mandate
LAPSE_MONTHS = 36
RUM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: a RUM is read aloud on the phone
SIGN_DECLARATION = (
    "Je signe ce mandat de prélèvement SEPA et j'autorise le créancier à prélever mon compte selon ses termes."
)


log = logging.getLogger(__name__)


class MandateError(Refusal):
    """A French message: why this act is not possible now."""


# Our own wording of the debtor's rights, shown on the page, in the PDF and in the signed text (in French);
# the page shows its English translation, the EPC's wording, to an English reader.
LEGAL_TEXT = N_(
    "En signant ce formulaire de mandat, vous autorisez (A) %(creditor)s à envoyer des instructions à votre "
    "banque pour débiter votre compte, et (B) votre banque à débiter votre compte conformément aux instructions "
    "de %(creditor)s. Vous bénéficiez du droit d'être remboursé par votre banque selon les conditions "
    "décrites dans la convention que vous avez passée avec elle. Une demande de remboursement doit être "
    "présentée dans les 8 semaines suivant la date de débit de votre compte pour un prélèvement autorisé. "
    "Vos droits concernant le présent mandat sont expliqués dans un document que vous pouvez obtenir auprès "
    "de votre banque. Pour un prélèvement que vous n'avez pas autorisé, le délai est de 13 mois."
)


def legal_text(creditor_name: str) -> str:
    """The mandate's standard wording (EPC rulebook, French text of the CFONB), then a reminder of the 13 months
    for a debit that was not authorised: shown on the page, in the PDF and in the signed text (translated where
    it is shown: LEGAL_TEXT is its message id)."""
    return LEGAL_TEXT % {"creditor": creditor_name}


def creditor_gaps(port: Port) -> list[str]:
    """What the port must still set before a boater may sign a mandate (its ICS valid, its name and address)."""
    gaps = [
        label
        for label, value in (
            ("nom du créancier", port.name),
            ("adresse", port.street),
            ("code postal", port.postcode),
            ("ville", port.town),
        )
        if not (value or "").strip()
    ]
    if not port.creditor_id:
        gaps.append("identifiant créancier SEPA (ICS)")
    elif bank_details.creditor_id_problem(port.creditor_id):
        gaps.append(f"identifiant créancier SEPA (ICS) valide (« {port.creditor_id} » ne l'est pas)")
    return gaps


def new_rum(port: Port, customer: Customer) -> str:
    """A fresh reference that no mandate has ever used: at most 28 characters from [A-Z0-9] (the port's code
    without accents, the customer number, ten random characters), so no bank's rule can reject it."""
    prefix = rum_letters(port.code)[:12]
    return f"{prefix}{customer.id:06d}{''.join(secrets.choice(RUM_ALPHABET) for _ in range(10))}"


def current(customer: Customer) -> Mandate | None:
    """The customer's active mandate, else their draft, else None."""
    rows = list(
        Mandate.select()
        .where((Mandate.customer == customer) & Mandate.status.in_([MandateStatus.ACTIVE, MandateStatus.DRAFT]))
        .order_by(Mandate.id.desc())
    )
    active = [m for m in rows if m.status == MandateStatus.ACTIVE]
    return (active or rows or [None])[0]


def history(customer: Customer) -> list[Mandate]:
    return list(
        Mandate.select()
        .where((Mandate.customer == customer) & Mandate.status.in_(["revoked", "lapsed", "suspended"]))
        .order_by(Mandate.id.desc())
    )


def open_for(port: Port, customer: Customer) -> Mandate:
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
                    status=MandateStatus.DRAFT,
                    debtor_name=customer.full_name,
                    street=customer.street,
                    postcode=customer.postcode,
                    town=customer.town,
                    country=customer.country or "FR",
                )
        except IntegrityError:  # the same RUM drawn twice: draw again
            continue
    raise MandateError("Impossible d'attribuer une référence de mandat ; réessayez.")


def save_details(
    mandate: Mandate, debtor_name: str, street: str, postcode: str, town: str, country: str, iban: str, bic: str
) -> Mandate:
    """Store the debtor's details on a draft; the IBAN and BIC are checked (BankDetailsError) before any write."""
    if mandate.status != MandateStatus.DRAFT:
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


def is_complete(mandate: Mandate) -> bool:
    """The BIC may stay empty: the rulebook does not ask for it for an account in the EEA."""
    return bool(mandate.iban and mandate.debtor_name and mandate.street and mandate.town)


ACCOUNT_DECLARATION = "Je demande que les prochains prélèvements de ce mandat soient faits sur ce compte."


def change_account(mandate: Mandate, iban: str, bic: str, user: User, client: tuple[str, str]) -> Mandate:
    """The debtor moves the mandate to another account (same RUM); the change is evidence, and the next
    collection carries the original account (or SMNDA for another bank) as amendment information."""
    if mandate.status != "active":
        raise MandateError("Seul un mandat signé et actif peut changer de compte.")
    iban = bank_details.check_iban(iban)
    bic = bank_details.check_bic(bic, iban)
    if iban == mandate.iban:
        raise MandateError("C'est déjà le compte de ce mandat.")
    with database.atomic():
        changes = evidence.steps(SUBJECT, mandate.id, REVISION)
        words = f"{ACCOUNT_DECLARATION}\nRUM : {mandate.rum}\nIBAN : {bank_details.grouped(iban)}\nBIC : {bic}\n"
        evidence.record_step(
            SUBJECT, mandate.id, REVISION, len(changes) + 1, user, words, evidence.sha256(words.encode()), client
        )
        Mandate.update(iban=iban, bic=bic).where((Mandate.id == mandate.id) & (Mandate.status == "active")).execute()
    return Mandate.get_by_id(mandate.id)


def text(mandate: Mandate, port: Port) -> str:
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
        f"BIC : {mandate.bic or 'non communiqué'}",
        "Type de paiement : paiement récurrent / répétitif",
        f"Signé à : {mandate.signed_place}",
        f"Le : {fr_date(mandate.signed_at)}",
    ]
    return "\n".join(lines) + "\n"


def sign(mandate: Mandate, port: Port, user: User, client: tuple[str, str], place: str = "") -> Mandate:
    """The boater's explicit act at `place` (the town they sign in): evidence, a sealed PDF kept by the port, and
    the mandate becomes active. Refused while the port's creditor details are incomplete: the office is told."""

    if mandate.status != MandateStatus.DRAFT:
        raise MandateError("Ce mandat n'est plus à signer.")
    if not is_complete(mandate):
        raise MandateError("Complétez et enregistrez vos coordonnées bancaires avant de signer.")
    if (
        Mandate.select()
        .where((Mandate.customer == mandate.customer_id) & (Mandate.status == MandateStatus.ACTIVE))
        .exists()
    ):
        raise MandateError("Vous avez déjà un mandat actif : révoquez-le avant d'en signer un autre.")
    gaps = creditor_gaps(port)
    if gaps:
        _tell_office(port, gaps, mandate)
        raise MandateError(
            "Le prélèvement n'est pas encore ouvert : la capitainerie doit d'abord compléter ses coordonnées de "
            "créancier. Elle vient d'en être prévenue ; vous pourrez signer dès que ce sera fait."
        )
    place = " ".join((place or mandate.town or "").split())[:70]
    if not place:
        raise MandateError("Indiquez le lieu de signature (votre ville).")
    signed_at = utcnow()
    mandate.signed_at, mandate.signed_place = signed_at, place
    words = text(mandate, port)
    digest = evidence.sha256(words.encode("utf-8"))
    pdf = render_pdf(
        "pdf/mandate.html",
        port=port,
        mandate=mandate,
        legal=legal_text(port.name),
        iban=bank_details.grouped(mandate.iban),
        text_sha256=digest,
        signer=user.email,
        timestamped=timestamped(),
    )
    try:
        sealed = seal_pdf(
            pdf, reason=f"Mandat de prélèvement SEPA {mandate.rum} signé en ligne par {mandate.debtor_name}", port=port
        )
    except SealError:
        raise MandateError(
            "Le service d'horodatage du port ne répond pas : le mandat n'est pas signé. "
            "Réessayez dans quelques minutes."
        ) from None
    stored, pdf_digest = save_bytes("mandates", sealed, ".pdf")
    with database.atomic():
        evidence.record_step(SUBJECT, mandate.id, REVISION, 1, user, f"{SIGN_DECLARATION}\n\n{words}", digest, client)
        updated = (
            Mandate.update(
                status="active",
                signed_at=signed_at,
                signed_place=place,
                signed_pdf=stored,
                signed_pdf_sha256=pdf_digest,
                signed_creditor_id=port.creditor_id,
                signed_creditor_name=port.name,
                signed_iban=mandate.iban,
                signed_bic=mandate.bic,
                told_creditor_id=port.creditor_id,
                told_creditor_name=port.name,
                told_iban=mandate.iban,
                told_bic=mandate.bic,
            )
            .where((Mandate.id == mandate.id) & (Mandate.status == "draft"))
            .execute()
        )
        if not updated:
            raise MandateError("Ce mandat n'est plus à signer.")
    signed = Mandate.get_by_id(mandate.id)
    _acknowledge(
        signed,
        port,
        user.email,
        N_("Accusé de réception : mandat de prélèvement SEPA %(rum)s"),
        "mandate_signed",
        [(f"mandat-sepa-{signed.rum}.pdf", "application/pdf", signed.signed_pdf)],
    )
    return signed


def _tell_office(port, gaps, mandate):
    if not port.email:
        log.warning("mandate %s refused, port settings incomplete: %s", mandate.rum, ", ".join(gaps))
        return
    try:
        send_email(
            port.email,
            N_("Un mandat SEPA n'a pas pu être signé : réglages du port incomplets"),
            "mandate_creditor_incomplete",
            language="fr",
            port=port,
            mandate=mandate,
            gaps=gaps,
        )
    except Exception:
        log.exception("office not told of mandate %s refused", mandate.rum)


def revoke(mandate: Mandate, port: Port | None = None, user: User | None = None) -> Mandate:
    """The boater withdraws the mandate: no further collection under this RUM; they get a mail saying so."""
    if mandate.status != "active":
        raise MandateError("Seul un mandat signé et actif peut être révoqué.")
    with database.atomic():
        Mandate.update(status="revoked", revoked_at=utcnow()).where(Mandate.id == mandate.id).execute()
    revoked = Mandate.get_by_id(mandate.id)
    to = user.email if user is not None else (revoked.customer.email or "")
    if to:
        _acknowledge(revoked, port, to, N_("Mandat de prélèvement SEPA %(rum)s révoqué"), "mandate_revoked")
    return revoked


def _acknowledge(mandate, port, to, subject, template, attachments=()):
    try:
        send_email(
            to,
            subject,
            template,
            language=mandate.customer.language,
            subject_fields={"rum": mandate.rum},
            attachments=attachments,
            mandate=mandate,
            port=port,
            masked_iban=bank_details.masked(mandate.iban),
            link=external_url("mandate.show") if "mandate.show" in current_app.view_functions else "",
        )
    except Exception:  # the mandate's state is recorded whatever happens to the mail
        log.exception("mail %s for mandate %s not sent", template, mandate.rum)


def lapse_dormant(today: dt.date) -> list[str]:
    """Active mandates with no collection for 36 months (counted from signing when never used) lapse."""
    limit = add_months(today, -LAPSE_MONTHS)
    dormant = [
        m
        for m in Mandate.select().where(Mandate.status == MandateStatus.ACTIVE)
        if (m.last_collection_on or (m.signed_at.date() if m.signed_at else today)) <= limit
    ]
    with database.atomic():
        for mandate in dormant:
            Mandate.update(status=MandateStatus.LAPSED).where(Mandate.id == mandate.id).execute()
    return [m.rum for m in dormant]
