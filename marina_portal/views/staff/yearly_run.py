"""Campagne annuelle at the harbour office: renew the contracts, send them for signature, invoice the season."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.billing import yearly_run
from marina_portal.core.formats import paris_today
from marina_portal.models import BillingRun
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.htmx import is_fragment_request
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404


def _year():
    wanted = request.values.get("year", "")
    return int(wanted) if wanted.isdigit() and 2000 <= int(wanted) <= 2100 else paris_today().year + 1


@bp.route("/yearly-run")
@staff_required
def yearly_run_page():
    port, year = current_port(), _year()
    return render_template(
        "staff/yearly_run/index.html",
        year=year,
        renewal=yearly_run.renewal_plan(port, year),
        drafts=yearly_run.renewal_drafts(port, year),
        invoicing=yearly_run.invoicing_plan(port, year),
        run=yearly_run.latest_run(port, year),
        form=EmptyForm(formdata=None),
    )


def _act(action):
    if not EmptyForm().validate_on_submit():
        abort(400)
    year = _year()
    try:
        message = action(current_port(), year)
    except yearly_run.Refused as refusal:
        flash(str(refusal), "error")
    else:
        flash(message, "success")
    return redirect(url_for("staff.yearly_run_page", year=year), code=303)


@bp.route("/yearly-run/renew", methods=["POST"])
@staff_required
def yearly_run_renew():
    return _act(
        lambda port, year: f"{yearly_run.renew(current_user, port, year, client_ip())} contrat(s) {year} créé(s)."
    )


@bp.route("/yearly-run/send", methods=["POST"])
@staff_required
def yearly_run_send():
    def send(port, year):
        sent, without = yearly_run.send_renewals(current_user, port, year, client_ip())
        rest = f" Sans adresse mail : {', '.join(c.customer.full_name for c in without)}." if without else ""
        return f"{sent} contrat(s) envoyé(s) pour signature.{rest}"

    return _act(send)


@bp.route("/yearly-run/invoice", methods=["POST"])
@staff_required
def yearly_run_invoice():
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        run = yearly_run.start(current_user, current_port(), _year(), client_ip())
    except yearly_run.Refused as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("staff.yearly_run_page", year=_year()), code=303)
    return redirect(url_for("staff.yearly_run_progress", run_id=run.id), code=303)


@bp.route("/yearly-run/runs/<int:run_id>")
@staff_required
def yearly_run_progress(run_id):
    run = port_row_or_404(BillingRun, run_id)
    template = "staff/yearly_run/_progress.html" if is_fragment_request() else "staff/yearly_run/progress.html"
    return render_template(template, run=run)
