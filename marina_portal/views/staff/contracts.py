"""Contracts from the harbour office: create, change, send for signature; versioned terms per type."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from marina_portal.contracts import office
from marina_portal.models import Berth, Boat, Contract, ContractTerms, Customer, PaymentSchedule
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.shell import current_port
from marina_portal.views.staff.forms import ContractForm, PaymentScheduleForm, TermsForm
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404


def _form(customer, contract=None):
    form = ContractForm(obj=contract)
    if contract is not None and not form.is_submitted():
        form.boat.data = str(contract.boat_id or "")
        form.berth.data = str(contract.berth_id or "")
        form.price.data = f"{contract.price_cents // 100},{contract.price_cents % 100:02d}"
    form.set_choices(
        list(customer.boats.order_by(Boat.name)),
        list(Berth.select().where(Berth.port == current_port()).order_by(Berth.code)),
    )
    return form


@bp.route("/customers/<int:customer_id>/contracts/new", methods=["GET", "POST"])
@staff_required
def contract_new(customer_id):
    customer = port_row_or_404(Customer, customer_id)
    form, problem = _form(customer), None
    if form.validate_on_submit():
        try:
            office.create(current_user, customer, form.values(), client_ip())
        except office.Refused as refusal:
            problem = str(refusal)
        else:
            flash("Contrat créé (brouillon).", "success")
            return redirect(url_for("staff.customer", customer_id=customer.id), code=303)
    return render_template(
        "staff/contracts/form.html", customer=customer, contract=None, form=form, problem=problem
    ), 422 if form.is_submitted() else 200


def _contract_or_404(contract_id):
    return port_row_or_404(Contract, contract_id)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@staff_required
def contract_edit(contract_id):
    contract = _contract_or_404(contract_id)
    form, problem = _form(contract.customer, contract), None
    if form.validate_on_submit():
        try:
            changed = office.update(current_user, contract, form.values(), client_ip())
        except office.Refused as refusal:
            problem = str(refusal)
        else:
            if changed:
                flash("Contrat modifié : une signature en cours devra être refaite.", "success")
            return redirect(url_for("staff.customer", customer_id=contract.customer_id), code=303)
    return render_template(
        "staff/contracts/form.html", customer=contract.customer, contract=contract, form=form, problem=problem
    ), 422 if form.is_submitted() else 200


@bp.route("/contracts/<int:contract_id>/send", methods=["POST"])
@staff_required
def contract_send(contract_id):
    contract = _contract_or_404(contract_id)
    if EmptyForm().validate_on_submit():
        try:
            to = office.send_for_signature(current_user, contract, client_ip())
            flash(f"Contrat envoyé pour signature à {to}.", "success")
        except office.Refused as refusal:
            flash(str(refusal), "error")
    return redirect(url_for("staff.customer", customer_id=contract.customer_id), code=303)


@bp.route("/contracts/<int:contract_id>/payment-schedule", methods=["POST"])
@staff_required
def contract_payment_schedule(contract_id):
    contract = _contract_or_404(contract_id)
    form = PaymentScheduleForm()
    if form.validate_on_submit():
        try:
            if office.set_payment_schedule(current_user, contract, form.payment_schedule.data or "", client_ip()):
                flash(
                    f"Contrat {contract.number} : échéancier « {PaymentSchedule.label_of(contract.payment_schedule)} » "
                    "enregistré ; il s'applique aux factures émises à partir de maintenant.",
                    "success",
                )
        except office.Refused as refusal:
            flash(str(refusal), "error")
    return redirect(url_for("staff.customer", customer_id=contract.customer_id), code=303)


@bp.route("/terms", methods=["GET", "POST"])
@staff_required
def terms():
    form, problem = TermsForm(), None
    if form.validate_on_submit():
        try:
            created = office.add_terms_version(
                current_user, current_port(), form.contract_type.data, form.body.data, client_ip()
            )
        except office.Refused as refusal:
            problem = str(refusal)
        else:
            flash(f"Conditions « {created.contract_type} » version {created.version} enregistrées.", "success")
            return redirect(url_for("staff.terms"), code=303)
    versions = list(
        ContractTerms.select()
        .where(ContractTerms.port == current_port())
        .order_by(ContractTerms.contract_type, ContractTerms.version.desc())
    )
    if not form.is_submitted() and versions:
        form.body.data = versions[0].body
    return render_template("staff/contracts/terms.html", form=form, versions=versions, problem=problem), (
        422 if form.is_submitted() else 200
    )
