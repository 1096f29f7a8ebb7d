"""Paiement par prélèvement: the boater's SEPA mandate, to fill, check, sign, download and revoke."""

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marina_portal.contracts import berth_contracts
from marina_portal.core.storage import absolute
from marina_portal.models import Mandate, MandateStatus
from marina_portal.sepa import mandates
from marina_portal.sepa.bank_details import masked
from marina_portal.views.access import boater_required, owned_or_404
from marina_portal.views.forms import EmptyForm
from marina_portal.views.sepa.forms import ChangeAccountForm, MandateDetailsForm, SignMandateForm
from marina_portal.views.shell import current_port

bp = Blueprint("mandate", __name__, url_prefix="/mandate")


def _page(mandate, form=None, sign_form=None, account_form=None, status=200):
    editing = mandate.status == "draft" and (form is not None or not mandate.iban or request.args.get("edit"))
    if editing and form is None:
        form = MandateDetailsForm(obj=mandate, formdata=None)
        form.iban.data = ""
    if sign_form is None:
        sign_form = SignMandateForm(formdata=None, place=mandate.town)
    return render_template(
        "mandate/show.html",
        mandate=mandate,
        form=form if editing else None,
        sign_form=sign_form or SignMandateForm(),
        account_form=account_form or ChangeAccountForm(prefix="account", formdata=None),
        creditor_gaps=mandates.creditor_gaps(current_port()) if mandate.status == "draft" else [],
        action_form=EmptyForm(),
        masked_iban=masked(mandate.iban),
        legal=_(mandates.LEGAL_TEXT, creditor=current_port().name),
        history=mandates.history(mandate.customer_id),
    ), status


@bp.route("/")
@boater_required
def show():
    customer = current_user.customer
    if mandates.current(customer) is None and not berth_contracts.has_contract(customer.id):
        return render_template("mandate/no_contract.html")  # a waiting-list applicant has nothing to pay yet
    return _page(mandates.open_for(current_port(), customer))


@bp.route("/", methods=["POST"])
@boater_required
def save():
    mandate = mandates.current(current_user.customer_id)
    if mandate is None or mandate.status != MandateStatus.DRAFT:
        flash(_("Ce mandat est déjà signé : il ne peut plus être modifié."), "error")
        return redirect(url_for(".show"), 303)
    form = MandateDetailsForm()
    if not form.validate_on_submit():
        return _page(mandate, form=form, status=422)
    mandates.save_details(
        mandate,
        form.debtor_name.data,
        form.street.data,
        form.postcode.data,
        form.town.data,
        form.country.data,
        form.clean_iban,
        form.clean_bic,
    )
    flash(_("Vos coordonnées bancaires sont enregistrées. Vérifiez-les, puis signez le mandat."), "success")
    return redirect(url_for(".show"), 303)


@bp.route("/<int:mandate_id>/sign", methods=["POST"])
@boater_required
def sign(mandate_id):
    mandate = owned_or_404(Mandate, mandate_id)
    form = SignMandateForm()
    if not form.validate_on_submit():
        return _page(mandate, sign_form=form, status=422)
    try:
        mandates.sign(
            mandate,
            current_port(),
            current_user._get_current_object(),
            (request.remote_addr, request.user_agent.string),
            form.place.data,
        )
    except mandates.MandateError as e:
        flash(e.translated(), "error")
    else:
        flash(_("Mandat signé. Vous pouvez télécharger le mandat signé au format PDF."), "success")
    return redirect(url_for(".show"), 303)


@bp.route("/<int:mandate_id>/account", methods=["POST"])
@boater_required
def change_account(mandate_id):
    mandate = owned_or_404(Mandate, mandate_id)
    form = ChangeAccountForm(prefix="account")
    if not form.validate_on_submit():
        return _page(mandate, account_form=form, status=422)
    try:
        mandates.change_account(
            mandate,
            form.clean_iban,
            form.clean_bic,
            current_user._get_current_object(),
            (request.remote_addr, request.user_agent.string),
        )
    except mandates.MandateError as e:
        flash(e.translated(), "error")
    else:
        flash(
            _("Nouveau compte enregistré : les prochains prélèvements de ce mandat seront faits sur ce compte."),
            "success",
        )
    return redirect(url_for(".show"), 303)


@bp.route("/<int:mandate_id>/revoke", methods=["GET", "POST"])
@boater_required
def revoke(mandate_id):
    mandate = owned_or_404(Mandate, mandate_id)
    if request.method == "GET":
        if mandate.status != "active":
            return redirect(url_for(".show"))
        return render_template(
            "confirm.html",
            question=_("Révoquer le mandat de prélèvement %(rum)s ?", rum=mandate.rum),
            detail=_(
                "Plus aucun prélèvement ne sera fait avec cette référence : les factures restantes seront à régler "
                "autrement. Vous pourrez signer un nouveau mandat, qui aura une nouvelle référence (RUM)."
            ),
            yes=_("Oui, révoquer le mandat"),
            back=url_for(".show"),
        )
    if not EmptyForm().validate_on_submit():
        return redirect(url_for(".show"), 303)
    try:
        mandates.revoke(mandate, current_port(), current_user._get_current_object())
    except mandates.MandateError as e:
        flash(e.translated(), "error")
    else:
        flash(_("Mandat révoqué : plus aucun prélèvement ne sera fait avec cette référence."), "success")
    return redirect(url_for(".show"), 303)


@bp.route("/<int:mandate_id>/pdf")
@login_required
def pdf(mandate_id):
    mandate = owned_or_404(Mandate, mandate_id)
    if not mandate.signed_pdf:
        return redirect(url_for(".show"))
    return send_file(
        absolute(mandate.signed_pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"mandat-sepa-{mandate.rum}.pdf",
    )
