"""Je n'ai pas de contrat: apply for a berth, confirm the email, then see one's rank and answer offers."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marina_portal.core.extensions import limiter
from marina_portal.core.formats import paris_today
from marina_portal.core.i18n import N_
from marina_portal.port_life import waiting_list
from marina_portal.views.accounts import _login_limit, _mail_limit, _start_session, per_ip_and_target
from marina_portal.views.forms import EmptyForm
from marina_portal.views.port_life.forms import ApplicationForm, ConfirmApplicationForm
from marina_portal.views.shell import current_port

bp = Blueprint("waiting_list", __name__, url_prefix="/waiting-list")


@bp.app_context_processor
def _application():
    """Templates may call waiting_application() for the logged-in user's application (None if none)."""
    return {
        "waiting_application": lambda: waiting_list.for_user(current_user) if current_user.is_authenticated else None
    }


@bp.route("/apply", methods=["GET", "POST"])
@per_ip_and_target(_mail_limit)
def apply():
    form = ApplicationForm()
    problem = None
    if form.validate_on_submit():
        try:
            waiting_list.apply(
                current_port(),
                form.last_name.data,
                form.first_name.data,
                form.email.data,
                form.boat_name.data,
                form.boat_type.data,
                form.length_cm,
                form.beam_cm,
                form.draught_cm,
                form.wanted_from.date,
                form.wanted_to.date,
            )
        except waiting_list.WaitingListRefused as refusal:
            problem = refusal.translated()
        else:
            return redirect(url_for("waiting_list.sent"), code=303)
    return render_template("waiting_list/apply.html", form=form, problem=problem)


@bp.route("/sent")
def sent():
    return render_template("waiting_list/sent.html")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def confirm(token):
    try:
        application = waiting_list.read_link(token)
    except waiting_list.WaitingListRefused as refusal:
        return render_template("auth/link_refused.html", message=refusal.translated()), 410
    has_login = waiting_list.existing_login(application) is not None
    form = EmptyForm() if has_login else ConfirmApplicationForm()
    form.password_facts = (application.email, application.last_name, application.first_name, application.boat_name)
    if form.validate_on_submit():
        try:
            user = waiting_list.confirm_email(token, None if has_login else form.password.data)
        except waiting_list.WaitingListRefused as refusal:
            return render_template("auth/link_refused.html", message=refusal.translated()), 410
        if has_login:
            flash(_("Votre demande est sur la liste d'attente. Connectez-vous pour voir votre rang."), "success")
            return redirect(url_for("waiting_list.status"), code=303)
        _start_session(user)
        flash(_("Votre adresse est confirmée : votre demande est sur la liste d'attente."), "success")
        return redirect(url_for("waiting_list.status"), code=303)
    return render_template("waiting_list/confirm.html", form=form, application=application, has_login=has_login)


@bp.route("/")
@login_required
def status():
    application = waiting_list.for_user(current_user)
    rank, total, deadline = None, None, None
    if application is not None:
        rank, total = waiting_list.rank_of(application)
        deadline = waiting_list.next_deadline(current_port(), paris_today())
    due = (
        deadline is not None
        and application.status in waiting_list.ON_LIST
        and waiting_list.due_for(application, deadline)
    )
    return render_template(
        "waiting_list/status.html",
        application=application,
        rank=rank,
        total=total,
        deadline=deadline,
        due=due,
        form=EmptyForm(),
        today=paris_today(),
    )


def _act(action, done):
    application = waiting_list.for_user(current_user)
    if application is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action(application)
    except waiting_list.WaitingListRefused as refusal:
        flash(refusal.translated(), "error")
    else:
        flash(_(done), "success")
    return redirect(url_for("waiting_list.status"), code=303)


@bp.route("/confirm-interest", methods=["POST"])
@login_required
def confirm_interest():
    return _act(waiting_list.confirm_interest, N_("Merci : votre intérêt est confirmé pour cette année."))


@bp.route("/offer/accept", methods=["POST"])
@login_required
def accept():
    return _act(
        waiting_list.accept_offer,
        N_(
            "Vous avez accepté la place. Votre contrat est en préparation "
            "à la capitainerie : il apparaîtra dans CONTRAT."
        ),
    )


@bp.route("/offer/decline", methods=["POST"])
@login_required
def decline():
    return _act(waiting_list.decline_offer, N_("Vous avez refusé la place proposée. Vous gardez votre rang."))


@bp.route("/withdraw", methods=["POST"])
@login_required
def withdraw():
    return _act(waiting_list.withdraw, N_("Votre demande est retirée de la liste d'attente."))
