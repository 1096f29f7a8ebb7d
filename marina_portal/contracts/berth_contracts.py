"""Berth contracts: which ones a boater sees, their PDF, and the sealed PDF kept once signed."""

from peewee import JOIN

from marina_portal.core import storage
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.pdf import render_pdf
from marina_portal.models import Berth, Boat, Contract, ContractStatus, ContractTerms
from marina_portal.sealing import evidence

SUBJECT = "contract"  # evidence rows name their subject by this type
SHOWN_STATUSES = (ContractStatus.SENT, ContractStatus.SIGNED)


def with_facts():
    """Contracts with their boat and berth, in one query."""
    return (
        Contract.select(Contract, Boat, Berth)
        .join_from(Contract, Boat, JOIN.LEFT_OUTER)
        .join_from(Contract, Berth, JOIN.LEFT_OUTER)
    )


def current_contracts(customer_id):
    """What CONTRAT shows a boater: contracts running or to come; when none, the latest one."""
    rows = list(
        with_facts()
        .where((Contract.customer == customer_id) & Contract.status.in_(SHOWN_STATUSES))
        .order_by(Contract.starts_on.desc(), Contract.id.desc())
    )
    today = paris_today()
    chosen = [c for c in rows if c.ends_on >= today] or rows[:1]
    attach_terms(chosen)
    return chosen


def has_contract(customer_id):
    """Does the customer hold a contract (any not cancelled)? A waiting-list applicant does not."""
    return (
        Contract.select()
        .where((Contract.customer == customer_id) & (Contract.status != ContractStatus.CANCELLED))
        .exists()
    )


def attach_terms(contracts):
    """Set `applicable_terms` on each contract with one query for all of them."""
    if not contracts:
        return
    ports = {c.port_id for c in contracts}
    by_id, latest = {}, {}
    for terms in ContractTerms.select().where(ContractTerms.port.in_(ports)).order_by(ContractTerms.version):
        by_id[terms.id] = terms
        latest[(terms.port_id, terms.contract_type)] = terms
    for c in contracts:
        if c.status == ContractStatus.SIGNED and c.terms_id in by_id:
            c.applicable_terms = by_id[c.terms_id]
        else:
            c.applicable_terms = latest.get((c.port_id, c.contract_type)) or by_id.get(c.terms_id)


def applicable_terms(contract):
    """A signed contract keeps the terms it was signed with; an unsigned one follows its type's latest version."""
    if not hasattr(contract, "applicable_terms"):
        attach_terms([contract])
    return contract.applicable_terms


def contract_pdf_context(contract):
    """What the contract's pages print; `version_at`, the PDF's creation date, is when these facts were set."""
    terms = applicable_terms(contract)
    version_at = max(filter(None, (contract.updated_at, terms.created_at if terms else None)))
    return dict(
        port=contract.port,
        contract=contract,
        customer=contract.customer,
        boat=contract.boat,
        berth=contract.berth,
        terms=terms,
        version_at=version_at,
    )


def render_contract_pdf(contract):
    """The contract's PDF. Same facts, same bytes (no clock, no random id): its hash names this version."""
    return render_pdf("pdf/contract.html", **contract_pdf_context(contract))


def download_pdf(contract, user, as_evidence=True):
    """The PDF to print; a download by the contract's own boater is recorded as signing evidence, unless
    the view says the request came from another site (`as_evidence` False)."""
    data = render_contract_pdf(contract)
    if as_evidence and user.customer_id is not None and user.customer_id == contract.customer_id:
        with database.atomic():
            evidence.record_download(SUBJECT, contract.id, contract.revision, user, data)
    return data


def signed_pdf_path(contract):
    """The stored, sealed PDF of a signed contract (None before signing)."""
    return storage.absolute(contract.signed_pdf) if contract.signed_pdf else None
