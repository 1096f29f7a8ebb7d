"""« Ma consommation »: a boater's readings with their photos, the months drawn as SVG, and « Contester »."""

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from marina_portal.core.formats import paris_today
from marina_portal.core.storage import absolute
from marina_portal.energy import consumption, disputes
from marina_portal.energy.meters import KINDS, UNITS
from marina_portal.models import Consumption, ConsumptionStatus, MeterReading
from marina_portal.views.access import boater_required
from marina_portal.views.forms import REQUIRED

bp = Blueprint("energy", __name__, url_prefix="/consommation")


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("Ce qui vous paraît faux"),
        validators=[DataRequired(REQUIRED), Length(max=2000, message=_l("2 000 caractères au plus."))],
        description=_l("Par exemple : « Mon bateau était en carénage, la borne était coupée. »"),
    )


@bp.route("/")
@boater_required
def index():
    rows = consumption.for_customer(current_user.customer_id)
    charts = {
        kind: consumption.chart(points, UNITS[kind])
        for kind, points in consumption.monthly(rows, today=paris_today()).items()
    }
    return render_template(
        "energy/index.html",
        rows=rows,
        charts=charts,
        kinds=KINDS,
        history=disputes.history([r.id for r in rows]),
        total_cents=sum(r.amount_cents or 0 for r in rows),
    )


def _own_line(consumption_id):
    line = consumption.own_line(current_user.customer_id, consumption_id)
    if line is None or line.status == ConsumptionStatus.REPLACED:
        abort(404)
    return line


@bp.route("/<int:consumption_id>/contester", methods=["GET", "POST"])
@boater_required
def dispute(consumption_id):
    line = _own_line(consumption_id)
    form, problem = DisputeForm(), None
    if form.validate_on_submit():
        try:
            disputes.open_dispute(current_user, current_user.customer, line, form.reason.data)
        except disputes.DisputeRefused as refusal:
            problem = refusal.translated()
        else:
            flash(
                _(
                    "Votre contestation est enregistrée : cette consommation n'est ni facturée ni relancée "
                    "tant que la capitainerie n'a pas répondu."
                ),
                "success",
            )
            return redirect(url_for("energy.index"), code=303)
    return render_template(
        "energy/dispute.html", line=line, form=form, problem=problem, describe=consumption.describe, kinds=KINDS
    ), (422 if form.is_submitted() else 200)


@bp.route("/releves/<int:reading_id>/photo")
@boater_required
def photo(reading_id):
    """A reading's photo, to the holder of a line it starts or ends (another boater's looks missing)."""
    reading = MeterReading.get_or_none(MeterReading.id == reading_id)
    if reading is None or not reading.photo:
        abort(404)
    owns = (
        Consumption.select()
        .where(
            (Consumption.customer == current_user.customer_id)
            & ((Consumption.start_reading == reading.id) | (Consumption.end_reading == reading.id))
        )
        .exists()
    )
    if not owns:
        abort(404)
    return send_file(absolute(reading.photo), mimetype=reading.photo_type)
