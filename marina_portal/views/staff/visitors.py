"""Escales at the harbour office: the gate code, the visitors' stays, the berths' QR sheet, the port by night."""

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from marina_portal.core.formats import paris_today
from marina_portal.models import VisitorStay
from marina_portal.views.access import staff_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, client_ip
from marina_portal.visitors import desk, occupancy, qr


class GateCodeForm(FlaskForm):
    gate_code = StringField("Code d'accès (portail, sanitaires)", validators=[Length(max=20)])


@bp.route("/visitors", methods=["GET", "POST"], endpoint="visitor_desk")
@staff_required
def visitor_desk():
    port = current_port()
    form, problem = GateCodeForm(), None
    if form.validate_on_submit():
        try:
            desk.set_gate_code(current_user, port, form.gate_code.data, client_ip())
        except desk.DeskRefused as refusal:
            problem = str(refusal)
        else:
            flash("Code d'accès enregistré : les prochains reçus le donnent.", "success")
            return redirect(url_for("staff.visitor_desk"), code=303)
    elif not form.is_submitted():
        form.gate_code.data = desk.of_port(port).gate_code
    recent = list(
        VisitorStay.select().where(VisitorStay.port == port).order_by(VisitorStay.created_at.desc()).limit(50)
    )
    return render_template("staff/visitors/index.html", form=form, problem=problem, stays=recent), (
        422 if problem or form.errors else 200
    )


@bp.route("/visitors/qr", endpoint="visitor_qr_sheet")
@staff_required
def visitor_qr_sheet():
    return render_template("staff/visitors/qr.html", codes=qr.sheet(current_port()))


@bp.route("/occupancy", endpoint="occupancy")
@staff_required
def occupancy_page():
    today = paris_today()
    first = occupancy.parse_first(request.args.get("from", ""), today)
    nights, rows = occupancy.grid(current_port(), first)
    return render_template(
        "staff/visitors/occupancy.html",
        nights=nights,
        rows=rows,
        first=first,
        previous=first - dt.timedelta(days=occupancy.DAYS),
        following=first + dt.timedelta(days=occupancy.DAYS),
    )
