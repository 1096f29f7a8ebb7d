"""Déclarer une absence: a boater's absences, their credit, and the forms to declare, change or cancel."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from marina_portal.core.formats import fr_date, paris_today
from marina_portal.port_life import absences
from marina_portal.views.access import boater_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.port_life.forms import AbsenceForm
from marina_portal.visitors import credits as visitor_credits

bp = Blueprint("absence", __name__, url_prefix="/absences")


@bp.app_context_processor
def _holds_berth():
    """Templates may call holds_berth(): does the logged-in boater have a berth under a current contract?"""

    def holds_berth():
        customer_id = getattr(current_user, "customer_id", None)
        return bool(customer_id) and bool(absences.contracts_with_berth(customer_id))

    return {"holds_berth": holds_berth}


def _own(absence_id):
    absence = absences.get_for_customer(absence_id, current_user.customer_id)
    if absence is None:
        abort(404)
    return absence


def _contract_choices(form, contracts):
    form.contract.choices = [
        SelectChoice(c.id, _("Poste %(code)s — contrat %(number)s", code=c.berth.code, number=c.number))
        for c in contracts
    ]


@bp.route("/")
@boater_required
def index():
    customer = current_user.customer
    return render_template(
        "absence/index.html",
        absences=absences.for_customer(customer),
        has_berth=bool(absences.contracts_with_berth(customer)),
        credit_cents=absences.customer_credit_cents(customer),
        credit_rows=absences.credit_rows(customer),
        visitor_nights=visitor_credits.nights_for_customer(customer),
        form=EmptyForm(),
        today=paris_today(),
    )


@bp.route("/new", methods=["GET", "POST"])
@boater_required
def new():
    customer = current_user.customer
    contracts = absences.contracts_with_berth(customer)
    if not contracts:
        flash(_("Vous n'avez pas de poste sous contrat en cours : aucune absence à déclarer."), "error")
        return redirect(url_for("absence.index"))
    form = AbsenceForm()
    _contract_choices(form, contracts)
    problem = None
    if form.validate_on_submit():
        try:
            absences.declare(customer, form.contract.data, form.starts_on.date, form.ends_on.date, form.comment.data)
        except absences.AbsenceRefused as refusal:
            problem = refusal.translated()
        else:
            flash(_("Votre absence est enregistrée. Un mail de confirmation vous a été envoyé."), "success")
            return redirect(url_for("absence.index"), code=303)
    return render_template("absence/form.html", form=form, problem=problem, absence=None)


@bp.route("/<int:absence_id>/edit", methods=["GET", "POST"])
@boater_required
def edit(absence_id):
    absence = _own(absence_id)
    form = AbsenceForm(obj=None if request.method == "POST" else _prefill(absence))
    form.contract.choices = [SelectChoice(absence.contract_id, _("Poste %(code)s", code=absence.contract.berth.code))]
    problem, early = None, None
    if form.validate_on_submit():
        try:
            absences.change(
                current_user.customer,
                absence,
                form.starts_on.date,
                form.ends_on.date,
                form.comment.data,
                confirm_early=form.confirm_early.data,
            )
        except absences.EarlyReturn as warning:
            early = warning.translated()
        except absences.AbsenceRefused as refusal:
            problem = refusal.translated()
        else:
            flash(_("Votre absence est modifiée. Un mail de confirmation vous a été envoyé."), "success")
            return redirect(url_for("absence.index"), code=303)
    return render_template("absence/form.html", form=form, problem=problem, early=early, absence=absence)


def _prefill(absence):
    class Values:
        contract = absence.contract_id
        starts_on = absence.starts_on.isoformat()
        ends_on = absence.ends_on.isoformat()
        comment = absence.comment

    return Values


@bp.route("/<int:absence_id>/cancel", methods=["GET", "POST"])
@boater_required
def cancel(absence_id):
    absence = _own(absence_id)
    if request.method == "GET":
        return render_template(
            "confirm.html",
            question=_(
                "Annuler votre absence du %(start)s au %(end)s (poste %(code)s) ?",
                start=fr_date(absence.starts_on),
                end=fr_date(absence.ends_on),
                code=absence.contract.berth.code,
            ),
            detail=_("La capitainerie ne pourra plus louer votre poste à ces dates."),
            yes=_("Oui, annuler l'absence"),
            back=url_for("absence.index"),
        )
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        absences.cancel(current_user.customer, absence)
    except absences.AbsenceRefused as refusal:
        flash(refusal.translated(), "error")
    else:
        flash(_("Votre absence est annulée."), "success")
    return redirect(url_for("absence.index"), code=303)
