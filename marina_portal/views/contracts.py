"""CONTRAT: the boater's contract, its PDF, signing in three steps, the signed PDF; `flask contract verify`."""

import io
import logging
import sys

import click
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marina_portal.contracts import berth_contracts, signing
from marina_portal.core.formats import fr_datetime
from marina_portal.models import Contract, ContractStatus
from marina_portal.sealing.seals import recorded_as, verify_pdf
from marina_portal.views.access import boater_required, owned_or_404
from marina_portal.views.htmx import is_fragment_request

bp = Blueprint("contract", __name__, url_prefix="/contract")  # CLI group: `flask contract …`

STATUS_LABELS = {status.value: status.label for status in ContractStatus}  # French message ids


@bp.context_processor
def _labels():
    return {"status_labels": STATUS_LABELS, "declarations": signing.DECLARATIONS}


def _contract_or_404(contract_id):
    """Staff see every contract; a boater only their own, and not while it is still a draft or once cancelled."""
    contract = owned_or_404(Contract, contract_id)
    if not current_user.is_staff and contract.status not in berth_contracts.SHOWN_STATUSES:
        abort(404)
    return contract


def _file_name(contract, suffix=""):
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in contract.number)
    return f"contrat-{safe}{suffix}.pdf"


def _render_signing(state, error=None, status=200):
    if is_fragment_request():
        # htmx swaps only 2xx answers: a refusal comes back as a fragment carrying its message
        return render_template(
            "contract/_signing.html", state=state, contract=state.contract, error=error, fragment=True
        )
    return render_template("contract/sign.html", state=state, contract=state.contract, error=error), status


@bp.route("/")
@login_required
def show():
    found = [] if current_user.is_staff else berth_contracts.current_contracts(current_user.customer_id)
    return render_template("contract/show.html", contracts=found)


def _asked_from_this_site():
    """A download counts as the boater reading the contract only when they asked for it here: a link or a
    hidden image on another site (Sec-Fetch-Site cross-site or same-site) proves nothing. Browsers too old
    to send the header, and an address typed in (none), count."""
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


@bp.route("/<int:contract_id>/pdf")
@login_required
def pdf(contract_id):
    contract = _contract_or_404(contract_id)
    data = berth_contracts.download_pdf(contract, current_user, as_evidence=_asked_from_this_site())
    return send_file(
        io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=_file_name(contract)
    )


@bp.route("/<int:contract_id>/terms")
@login_required
def terms(contract_id):
    """The general terms that apply to the contract: those it was signed with, else its type's latest version."""
    contract = _contract_or_404(contract_id)
    applicable = berth_contracts.applicable_terms(contract)
    if applicable is None:
        abort(404)
    return render_template("contract/terms.html", contract=contract, terms=applicable)


@bp.route("/<int:contract_id>/sign")
@boater_required
def sign(contract_id):
    contract = _contract_or_404(contract_id)
    state = signing.signing_state(contract, current_user)
    error = None
    if request.args.get("downloaded") and state.download is None:
        error = _(
            "Aucun téléchargement du contrat n'est enregistré : le PDF ne s'est pas ouvert ou n'a pas été "
            "enregistré. Touchez le lien « PDF » ci-dessous et attendez que le fichier s'ouvre (ou qu'il "
            "apparaisse dans vos téléchargements), puis revenez ici."
        )
    return _render_signing(state, error=error)


@bp.route("/<int:contract_id>/sign/<int:step>", methods=["POST"])
@boater_required
def sign_step(contract_id, step):
    contract = _contract_or_404(contract_id)
    client = (request.remote_addr, request.user_agent.string)
    try:
        state = signing.take_step(contract.id, current_user, step, bool(request.form.get("accept")), client)
    except signing.SigningRefused as refusal:
        state = signing.signing_state(Contract.get_by_id(contract.id), current_user)
        return _render_signing(state, error=refusal.translated(), status=409)
    if is_fragment_request():
        return _render_signing(state)
    if state.signed:
        flash(_("Votre contrat est signé. Il est enregistré au port."), "success")
        return redirect(url_for("contract.show"), code=303)
    flash(_("ETAPE %(step)s/%(last)s acceptée.", step=step, last=signing.LAST_STEP), "success")
    return redirect(url_for("contract.sign", contract_id=contract.id), code=303)


@bp.route("/<int:contract_id>/signed.pdf")
@login_required
def signed_pdf(contract_id):
    contract = _contract_or_404(contract_id)
    path = berth_contracts.signed_pdf_path(contract)
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=_file_name(contract, "-signe"))


@bp.cli.command("verify")
@click.argument("file", type=click.File("rb"))
def verify_command(file):
    """Check a signed contract or mandate PDF: intact, sealed with the port's certificate, and the very file the
    portal recorded. Exit status 0 only then; otherwise 1 with the reason."""
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # its tracebacks would bury the verdict below
    data = file.read()
    check = verify_pdf(data)
    if not check.intact or not check.trusted:
        click.echo(f"Sceau NON valide : {check.problem or 'le document a été modifié.'}")
        sys.exit(1)
    recorded = recorded_as(data)
    if recorded is None:
        click.echo(
            "Sceau NON valide : ce fichier n'est pas celui que le portail a enregistré à la signature "
            "(son empreinte SHA-256 ne correspond à aucun contrat ni mandat signé)."
        )
        sys.exit(1)
    click.echo("Sceau intact : le document n'a pas été modifié depuis sa signature.")
    click.echo(
        f"Scellé par : {check.signer or check.subject} (certificat du port, empreinte SHA-256 {check.fingerprint})"
    )
    kind, number = recorded
    click.echo(f"Document enregistré : {kind} {number}, empreinte SHA-256 identique à celle conservée par le portail.")
    if check.timestamp_at:
        click.echo(f"Le : {fr_datetime(check.timestamp_at)} (heure de Paris)")
        click.echo(f"Heure attestée par une autorité d'horodatage{' : ' + check.tsa if check.tsa else ''}.")
    else:
        click.echo(f"Le : {fr_datetime(check.signed_at) if check.signed_at else 'date inconnue'} (heure de Paris)")
        click.echo("Heure donnée par l'horloge du serveur du port (pas d'horodatage externe).")
    if check.reason:
        click.echo(f"Motif : {check.reason}")
