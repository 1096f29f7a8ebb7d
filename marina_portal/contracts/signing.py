"""Signing a contract online: three declared steps in order, on the exact PDF downloaded, then a sealed PDF.

A step counts only for the current revision of the contract and for the PDF bytes the boater last
downloaded; when the contract, its terms or anything printed on it changes, the fresh PDF no longer
has that hash and signing starts again at step 1. Every check runs inside a transaction that holds
the write lock, so a double click or a replayed POST finds the step already taken and stores nothing.
"""

import dataclasses
import io
import json
import logging
import os

from flask import current_app

from marina_portal.contracts.berth_contracts import (
    SUBJECT,
    applicable_terms,
    contract_pdf_context,
    render_contract_pdf,
)
from marina_portal.core import storage
from marina_portal.core.db import write_locked
from marina_portal.core.formats import fr_datetime
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.pdf import render_pdf
from marina_portal.core.refusals import Refusal
from marina_portal.core.urls import external_url
from marina_portal.models import AuditLog, Contract, ContractStatus, User
from marina_portal.sealing import evidence
from marina_portal.sealing.seals import SealError, seal_pdf, timestamped

DECLARATIONS = {
    1: "Je déclare avoir téléchargé le contrat au format PDF et avoir un logiciel pour le lire.",
    2: "Je déclare avoir pris connaissance dudit contrat.",
    3: "Je déclare accepter les termes dudit contrat.",
}
LAST_STEP = len(DECLARATIONS)
log = logging.getLogger(__name__)


class SigningRefused(Refusal):
    """A step that cannot be taken now; the message tells the boater why and what to do."""


@dataclasses.dataclass
class SigningState:
    contract: Contract
    download: object = None  # the PdfDownload of the PDF as it stands now, or None
    stale: bool = False  # a PDF was downloaded, but the contract changed since
    done: list = dataclasses.field(default_factory=list)  # SignatureEvidence rows, steps 1..n

    @property
    def signed(self):
        return self.contract.status == ContractStatus.SIGNED

    @property
    def next_step(self):
        return None if self.signed else len(self.done) + 1


def signing_state(contract: Contract, user: User, pdf_sha256: str | None = None) -> SigningState:
    """Where this boater stands in signing this contract; renders the PDF unless its hash is given."""
    state = SigningState(contract)
    if state.signed or contract.status != ContractStatus.SENT:
        return state
    if pdf_sha256 is None:
        pdf_sha256 = evidence.sha256(render_contract_pdf(contract))
    download = evidence.last_download(SUBJECT, contract.id, contract.revision, user)
    if download is None:
        return state
    if download.sha256 != pdf_sha256:
        state.stale = True
        return state
    state.download = download
    for row in evidence.steps(SUBJECT, contract.id, contract.revision):
        if row.user_id == user.id and row.document_sha256 == download.sha256 and row.step == len(state.done) + 1:
            state.done.append(row)
    return state


def _locked(contract_id):
    """A transaction that takes the write lock first: concurrent steps on one contract run one after the other."""
    return write_locked(Contract.select(Contract.id).where(Contract.id == contract_id))


def _check(state, step, accepted):
    contract = state.contract
    if state.signed:
        raise SigningRefused("Ce contrat est déjà signé : il ne peut pas être signé une seconde fois.")
    if contract.status != ContractStatus.SENT:
        raise SigningRefused("Ce contrat n'est pas ouvert à la signature. Contactez la capitainerie.")
    if step not in DECLARATIONS:
        raise SigningRefused("Cette étape n'existe pas.")
    if state.stale:
        raise SigningRefused(
            "Le contrat a changé depuis votre téléchargement. Téléchargez à nouveau le PDF "
            "puis recommencez à l'ETAPE 1/3."
        )
    if state.download is None:
        raise SigningRefused(
            "Téléchargez d'abord le contrat au format PDF (lien « PDF ») : l'ETAPE 1/3 n'est accessible qu'ensuite."
        )
    expected = len(state.done) + 1
    if step < expected:
        raise SigningRefused(
            "L'ETAPE %(step)s/%(last)s est déjà acceptée : rien n'a été enregistré de plus.", step=step, last=LAST_STEP
        )
    if step > expected:
        raise SigningRefused(
            "Les étapes se suivent dans l'ordre : acceptez d'abord l'ETAPE %(step)s/%(last)s.",
            step=expected,
            last=LAST_STEP,
        )
    if not accepted:
        raise SigningRefused(
            "Cochez la case de l'ETAPE %(step)s/%(last)s pour accepter la déclaration.", step=step, last=LAST_STEP
        )


def take_step(contract_id: int, user: User, step: int, accepted: bool, client: tuple[str, str]) -> SigningState:
    """Record one declared step (client: (ip, user agent)); the last one signs and seals. Refusals store nothing."""
    rendered = Contract.get_by_id(contract_id)
    pdf = render_contract_pdf(rendered)  # before the lock: rendering only reads
    pdf_sha256 = evidence.sha256(pdf)
    with _locked(contract_id):
        contract = Contract.get_by_id(contract_id)
        state = signing_state(contract, user, pdf_sha256)
        if not state.signed and (
            contract.revision != rendered.revision or applicable_terms(contract) != rendered.applicable_terms
        ):
            state.download, state.stale = None, True  # changed while we rendered
        _check(state, step, accepted)
        row = evidence.record_step(
            SUBJECT, contract.id, contract.revision, step, user, DECLARATIONS[step], pdf_sha256, client
        )
        state.done.append(row)
        if step == LAST_STEP:
            _sign(state, pdf, user, rendered.applicable_terms, client)
    if step == LAST_STEP:
        acknowledge(state.contract, user)
    return state


def acknowledge(contract, user):
    """Acknowledge the signature by mail, the sealed PDF attached (art. 1127-2 Code civil)."""
    endpoint = "contract.show" if "contract.show" in current_app.view_functions else "main.home"
    try:
        send_email(
            user.email,
            N_("Accusé de réception : contrat %(number)s signé"),
            "contract_signed",
            language=contract.customer.language,
            subject_fields={"number": contract.number},
            attachments=[(signed_file_name(contract), "application/pdf", contract.signed_pdf)],
            contract=contract,
            customer=contract.customer,
            port=contract.port,
            link=external_url(endpoint),
        )
    except Exception:  # the contract is signed and kept whatever happens to the mail
        log.exception("acknowledgement of contract %s not sent", contract.number)


def _concatenate(documents, attachments=()):
    """One PDF of the documents' pages, carrying the attachments [(file name, bytes)] as embedded files."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for n, data in enumerate(documents):
        reader = PdfReader(io.BytesIO(data))
        writer.append(reader)
        if n == 0 and reader.metadata:
            writer.add_metadata(dict(reader.metadata))  # title, author, creation date of the document
    for name, data in attachments:
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _safe(number):
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in number)


def downloaded_name(contract):
    return f"contrat-{_safe(contract.number)}-telecharge.pdf"


def signed_file_name(contract):
    return f"contrat-{_safe(contract.number)}-signe.pdf"


def _sign(state, contract_pdf, user, terms, client):
    """Mark the contract signed and keep the contract plus its signature page, sealed, once."""
    contract = state.contract
    customer = contract.customer
    signed_at = state.done[-1].at
    # The very bytes the boater downloaded and the steps name; the render is the same bytes (same hash) and
    # stands in only for a download made before the bytes were kept.
    contract_pdf = evidence.downloaded_bytes(state.download) or contract_pdf
    # The contract's pages are rendered again with the signature page as one document (page numbers run
    # across both); the exact bytes downloaded travel inside it as an attachment.
    signed = render_pdf(
        "pdf/signed_contract.html",
        **contract_pdf_context(contract),
        user=user,
        steps=state.done,
        declarations=DECLARATIONS,
        download=state.download,
        signed_at=signed_at,
        timestamped=timestamped(),
        attachment_name=downloaded_name(contract),
    )
    try:
        sealed = seal_pdf(
            _concatenate([signed], [(downloaded_name(contract), contract_pdf)]),
            reason=(
                f"Contrat {contract.number} signé en ligne par {customer.full_name} : "
                f"ETAPES 1/{LAST_STEP} à {LAST_STEP}/{LAST_STEP} acceptées, la dernière le "
                f"{fr_datetime(signed_at, '%d/%m/%Y à %H:%M')} (heure de Paris)"
            ),
            port=contract.port,
            location=contract.port.town or contract.port.name,
        )
    except SealError:
        log.exception("contract %s not sealed", contract.number)
        raise SigningRefused(
            "Le service d'horodatage du port ne répond pas : votre signature n'a pas été enregistrée. "
            "Réessayez l'ETAPE 3/3 dans quelques minutes."
        ) from None
    stored, digest = storage.save_bytes("contracts", sealed, ".pdf")
    try:
        changed = (
            Contract.update(
                status=ContractStatus.SIGNED,
                signed_at=signed_at,
                signed_pdf=stored,
                signed_pdf_sha256=digest,
                terms=terms,
            )
            .where(
                (Contract.id == contract.id)
                & (Contract.status == ContractStatus.SENT)
                & (Contract.revision == contract.revision)
            )
            .execute()
        )
        if changed != 1:
            raise SigningRefused("Le contrat a changé pendant la signature. Rechargez la page.")
        AuditLog.create(
            at=signed_at,
            user=user,
            action="contract_signed",
            object_type="contract",
            object_id=contract.id,
            before=json.dumps({"status": contract.status}),
            after=json.dumps({"status": ContractStatus.SIGNED, "signed_pdf_sha256": digest}),
            ip=client[0] or "",
        )
    except Exception:
        os.remove(storage.absolute(stored))
        raise
    contract.status, contract.signed_at = ContractStatus.SIGNED, signed_at
    contract.signed_pdf, contract.signed_pdf_sha256 = stored, digest
