"""For the administrator: the harbour office's accounts and the audit journal."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.accounts import team
from marina_portal.models import User
from marina_portal.views.access import admin_required
from marina_portal.views.staff.forms import StaffInviteForm, StaffUpdateForm
from marina_portal.views.staff.frame import bp, client_ip


@bp.route("/team", methods=["GET", "POST"])
@admin_required
def team_page():
    form, problem = StaffInviteForm(), None
    if form.validate_on_submit():
        try:
            user = team.invite(current_user, form.email.data, form.role.data, client_ip())
        except team.Refused as refusal:
            problem = str(refusal)
        else:
            flash(f"Compte créé : un lien pour choisir le mot de passe a été envoyé à {user.email}.", "success")
            return redirect(url_for("staff.team_page"), code=303)
    return render_template(
        "staff/team.html", form=form, members=team.members(), problem=problem, roles=team.ROLES
    ), 422 if form.is_submitted() else 200


@bp.route("/team/<int:user_id>", methods=["POST"])
@admin_required
def team_update(user_id):
    member = User.get_or_none((User.id == user_id) & User.role.in_(list(team.ROLES)))
    if member is None:
        abort(404)
    form = StaffUpdateForm()
    if form.validate_on_submit():
        try:
            if team.update(current_user, member, form.role.data, form.enabled.data == "1", client_ip()):
                flash(f"Compte {member.email} modifié.", "success")
        except team.Refused as refusal:
            flash(str(refusal), "error")
    return redirect(url_for("staff.team_page"), code=303)


@bp.route("/audit")
@admin_required
def audit_journal():
    page = request.args.get("page", 1, type=int)
    rows, pages = team.journal(page)
    return render_template("staff/audit.html", rows=rows, page=min(max(page, 1), pages), pages=pages)
