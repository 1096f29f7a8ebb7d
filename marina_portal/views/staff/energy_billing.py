"""Énergie at the harbour office, the money side: energy prices of a season, disputed lines, the energy run."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.billing import invoicing, legal
from marina_portal.core.formats import paris_today, parse_french_date
from marina_portal.energy import consumption, disputes, meters, rates
from marina_portal.energy import invoicing as energy_invoicing
from marina_portal.models import Customer, EnergyRate, Tariff
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.shell import current_port
from marina_portal.views.staff.energy_forms import CorrectionForm, EnergyRateForm, EnergyRunForm, ExplanationForm
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404


@bp.route("/tariffs/<int:tariff_id>/energy", methods=["GET", "POST"], endpoint="tariff_energy")
@staff_required
def tariff_energy(tariff_id):
    tariff = port_row_or_404(Tariff, tariff_id)
    form, problem = EnergyRateForm(), None
    if form.validate_on_submit():
        try:
            rates.save(
                current_user,
                tariff,
                form.kind.data,
                form.basis.data,
                form.amperage_value,
                form.price_e4,
                form.vat_rate.data,
                ip=client_ip(),
            )
        except rates.RateRefused as refusal:
            problem = str(refusal)
        else:
            flash("Prix de l'énergie enregistré.", "success")
            return redirect(url_for("staff.tariff_energy", tariff_id=tariff.id), code=303)
    return render_template(
        "staff/energy/rates.html",
        tariff=tariff,
        rates=rates.of_tariff(tariff),
        form=form,
        problem=problem,
        label=rates.label,
        delete_form=EmptyForm(),
    ), (422 if form.is_submitted() else 200)


@bp.route("/energy/rates/<int:rate_id>/delete", methods=["POST"], endpoint="tariff_energy_delete")
@staff_required
def tariff_energy_delete(rate_id):
    rate = port_row_or_404(EnergyRate, rate_id, EnergyRate.select().join(Tariff), Tariff.port)
    if EmptyForm().validate_on_submit():
        rates.delete(current_user, rate, client_ip())
        flash("Prix de l'énergie supprimé.", "success")
    return redirect(url_for("staff.tariff_energy", tariff_id=rate.tariff_id), code=303)


@bp.route("/energy/disputes", endpoint="energy_disputes")
@staff_required
def dispute_list():
    return render_template(
        "staff/energy/disputes.html",
        disputes=disputes.open_for_port(current_port()),
        describe=consumption.describe,
        correction=CorrectionForm(),
        explanation=ExplanationForm(),
        problem=None,
        problem_id=None,
    )


def _dispute_or_404(dispute_id):
    dispute = disputes.dispute_for_staff(current_port(), dispute_id)
    if dispute is None:
        abort(404)
    return dispute


def _answered(dispute, problem):
    if problem is None:
        flash("Réponse enregistrée et envoyée au plaisancier.", "success")
        return redirect(url_for("staff.energy_disputes"), code=303)
    return render_template(
        "staff/energy/disputes.html",
        disputes=disputes.open_for_port(current_port()),
        describe=consumption.describe,
        correction=CorrectionForm(formdata=None),
        explanation=ExplanationForm(formdata=None),
        problem=problem,
        problem_id=dispute.id,
    ), 422


@bp.route("/energy/disputes/<int:dispute_id>/reading", methods=["POST"], endpoint="energy_dispute_reading")
@staff_required
def dispute_reading(dispute_id):
    dispute = _dispute_or_404(dispute_id)
    form, problem = CorrectionForm(), None
    if form.validate_on_submit():
        upload = form.photo.data
        try:
            disputes.answer_with_reading(
                current_user, dispute, form.index_milli, (upload.read() if upload else None) or None, client_ip()
            )
        except meters.MeterRefused as refusal:
            problem = str(refusal)
        except disputes.DisputeRefused as refusal:
            problem = str(refusal)
    else:
        problem = " ".join(e for errors in form.errors.values() for e in errors)
    return _answered(dispute, problem)


@bp.route("/energy/disputes/<int:dispute_id>/explanation", methods=["POST"], endpoint="energy_dispute_explanation")
@staff_required
def dispute_explanation(dispute_id):
    dispute = _dispute_or_404(dispute_id)
    form, problem = ExplanationForm(), None
    if form.validate_on_submit():
        try:
            disputes.answer_with_explanation(current_user, dispute, form.text.data, client_ip())
        except disputes.DisputeRefused as refusal:
            problem = str(refusal)
    else:
        problem = " ".join(e for errors in form.errors.values() for e in errors)
    return _answered(dispute, problem)


@bp.route("/energy/invoicing", methods=["GET", "POST"], endpoint="energy_invoicing")
@staff_required
def invoicing_page():
    port = current_port()
    form = EnergyRunForm()
    if not form.is_submitted():
        form.until.data = parse_french_date(request.args.get("until", "")) or paris_today()
    until = form.until.data or paris_today()
    problem = None
    if form.validate_on_submit():
        try:
            done = energy_invoicing.run(current_user, port, until, client_ip())
        except invoicing.Refused as refusal:
            problem = str(refusal)
        else:
            issued = sum(1 for _, _, new in done if new)
            flash(
                f"Énergie facturée : {issued} facture(s) d'énergie émise(s), "
                f"{len(done) - issued} brouillon(s) complété(s).",
                "success",
            )
            return redirect(url_for("staff.energy_invoicing"), code=303)
    found = energy_invoicing.plan(port, until)
    customers = {c.id: c for c in Customer.select().where(Customer.id.in_(list(found.lines) or [0]))}
    return render_template(
        "staff/energy/invoicing.html",
        form=form,
        plan=found,
        customers=customers,
        totals=invoicing.totals,
        missing=legal.missing_identity(port),
        problem=problem,
    ), (422 if problem else 200)
