"""Harbour office: boat changes to approve or refuse, customers missing a valid insurance, reminders to them."""

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.boats import changes as boat_changes
from marina_portal.boats import papers
from marina_portal.models import BoatChange, BoatChangeStatus
from marina_portal.views.access import staff_required
from marina_portal.views.boats.forms import RefusalForm
from marina_portal.views.forms import EmptyForm
from marina_portal.views.htmx import is_fragment_request
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp

FACT_LABELS = [
    ("name", "Nom"),
    ("registration", "Immatriculation"),
    ("boat_type", "Type"),
    ("length_cm", "Longueur"),
    ("beam_cm", "Largeur"),
    ("draught_cm", "Tirant d'eau"),
]
CONTACT_LABELS = {
    "phone": "téléphone",
    "street": "adresse",
    "postcode": "code postal",
    "town": "ville",
    "country": "pays",
}


def _ip():
    return request.remote_addr or ""


@bp.route("/boat-changes")
@staff_required
def changes():
    port = current_port()
    return render_template(
        "staff/boats/changes.html",
        pending=boat_changes.pending(port),
        decided=boat_changes.recently_decided(port),
        facts=FACT_LABELS,
        form=EmptyForm(),
    )


@bp.route("/boat-changes/<int:change_id>/approve", methods=["POST"])
@staff_required
def approve(change_id):
    if EmptyForm().validate_on_submit():
        try:
            change = boat_changes.approve(change_id, current_port(), current_user, _ip())
        except boat_changes.ChangeRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash(f"Modification du bateau {change.name} acceptée ; le plaisancier est prévenu par mail.", "success")
    return redirect(url_for("staff.changes"), code=303)


@bp.route("/boat-changes/<int:change_id>/refuse", methods=["POST"])
@staff_required
def refuse(change_id):
    form = RefusalForm()
    if not form.validate_on_submit():
        flash("Indiquez le motif du refus (500 caractères au plus) : il est envoyé au plaisancier.", "error")
        return redirect(url_for("staff.changes"), code=303)
    try:
        boat_changes.refuse(change_id, current_port(), current_user, form.reason.data, _ip())
    except boat_changes.ChangeRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash("Modification refusée ; le plaisancier reçoit le motif par mail.", "success")
    return redirect(url_for("staff.changes"), code=303)


@bp.route("/insurance")
@staff_required
def insurance():
    port = current_port()
    rows = papers.missing_insurance(port)
    return render_template(
        "staff/boats/insurance.html",
        rows=rows,
        reachable=sum(1 for r in rows if r.reminder_email),
        reminder=papers.latest_reminder(port),
        form=EmptyForm(),
    )


@bp.route("/insurance/remind", methods=["POST"])
@staff_required
def remind():
    if EmptyForm().validate_on_submit():
        try:
            reminder = papers.start_reminder(current_port(), current_user)
        except papers.PaperRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash(
                f"Rappel en cours d'envoi à {reminder.mail_total} plaisancier{'s' if reminder.mail_total > 1 else ''}.",
                "success",
            )
    return redirect(url_for("staff.insurance"), code=303)


@bp.route("/insurance/progress")
@staff_required
def reminder_progress():
    """The latest reminder's count, for htmx polling; a normal request gets the whole page."""
    if not is_fragment_request():
        return redirect(url_for("staff.insurance"))
    response = Response(render_template("staff/boats/_progress.html", reminder=papers.latest_reminder(current_port())))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.app_template_global()
def customer_papers(customer):
    """For the staff customer page: the customer's papers and boat changes awaiting a decision (two queries)."""
    pending = list(
        BoatChange.select().where((BoatChange.customer == customer) & (BoatChange.status == BoatChangeStatus.PENDING))
    )
    return {"papers": papers.for_customer(customer), "pending": pending, "kinds": papers.KINDS}


@bp.app_template_filter()
def contact_changes(entry):
    """'téléphone : 04 68 … → 06 12 …' for a customer.contact audit entry."""
    try:
        before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    except ValueError:
        return ""
    return " ; ".join(
        f"{CONTACT_LABELS.get(name, name)} : {before.get(name) or '—'} → {after.get(name) or '—'}"
        for name in CONTACT_LABELS
        if before.get(name) != after.get(name)
    )
