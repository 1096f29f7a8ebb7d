"""Énergie at the harbour office: meters and swaps, the round of readings on a phone, photos, energy prices."""

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from marina_portal.core.formats import paris_today, quantity
from marina_portal.core.storage import absolute
from marina_portal.energy import meters, readings
from marina_portal.models import Berth, Meter, utcnow
from marina_portal.views.access import staff_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.energy_forms import MeterForm, ReadingForm, SwapForm
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404


def _berth_choices(form):
    berths = Berth.select().where(Berth.port == current_port()).order_by(Berth.code)
    form.berth.choices = [(b.id, b.code) for b in berths]


@bp.route("/energy/meters", methods=["GET", "POST"], endpoint="energy_meters")
@staff_required
def meter_list():
    port = current_port()
    form, problem = MeterForm(), None
    _berth_choices(form)
    if form.validate_on_submit():
        berth = Berth.get_or_none((Berth.id == form.berth.data) & (Berth.port == port))
        try:
            meter = meters.add(
                current_user,
                port,
                berth,
                form.number.data,
                form.kind.data,
                form.installed_on.data,
                form.opening_index_milli,
                form.amperage_value,
                form.pedestal.data,
                client_ip(),
            )
        except meters.MeterRefused as refusal:
            problem = str(refusal)
        else:
            flash(f"Compteur n° {meter.number} ajouté au poste {berth.code}.", "success")
            return redirect(url_for("staff.energy_meters"), code=303)
    if not form.is_submitted():
        form.installed_on.data = paris_today()
    status = 422 if form.is_submitted() else 200
    return render_template(
        "staff/energy/meters.html", meters=readings.walk(port), form=form, problem=problem, kinds=meters.KINDS
    ), status


@bp.route("/energy/meters/<int:meter_id>", methods=["GET", "POST"], endpoint="energy_meter")
@staff_required
def meter_page(meter_id):
    meter = port_row_or_404(Meter, meter_id)
    form, problem = SwapForm(), None
    if form.validate_on_submit():
        try:
            new = readings.swap(
                current_user,
                meter,
                form.swapped_on.data,
                form.closing_index_milli,
                form.new_number.data,
                form.opening_index_milli,
                client_ip(),
            )
        except meters.MeterRefused as refusal:
            problem = str(refusal)
        else:
            flash(f"Compteur n° {meter.number} remplacé par le n° {new.number}.", "success")
            return redirect(url_for("staff.energy_meter", meter_id=new.id), code=303)
    if not form.is_submitted():
        form.swapped_on.data = paris_today()
    return render_template(
        "staff/energy/meter.html",
        meter=meter,
        history=readings.history(meter),
        form=form,
        problem=problem,
        kinds=meters.KINDS,
    ), (422 if form.is_submitted() else 200)


def pontoon_of(code):
    return (code or "").split("-", 1)[0]


@bp.route("/energy/round", endpoint="energy_round")
@staff_required
def round_page():
    """The readings round on a phone: one small form per meter, so a page loaded once works along the pontoon."""
    rows = readings.walk(current_port())
    pontoons = sorted({pontoon_of(m.berth.code) for m in rows})
    chosen = request.args.get("pontoon", "")
    if chosen not in pontoons:
        chosen = ""
    shown = [m for m in rows if not chosen or pontoon_of(m.berth.code) == chosen]
    return render_template(
        "staff/energy/round.html",
        meters=shown,
        pontoons=pontoons,
        chosen=chosen,
        form=ReadingForm(),
        kinds=meters.KINDS,
        error_meter=None,
        error=None,
    )


def _wants_json():
    return request.accept_mimetypes.best == "application/json"


@bp.route("/energy/meters/<int:meter_id>/readings", methods=["POST"], endpoint="energy_reading")
@staff_required
def reading_add(meter_id):
    meter = port_row_or_404(Meter, meter_id)
    form = ReadingForm()
    problem = None
    if form.validate_on_submit():
        upload = form.photo.data
        photo = upload.read() if upload else None
        try:
            reading = readings.record(
                current_user, meter, form.read_at_utc or _now(), form.index_milli, photo=photo or None, ip=client_ip()
            )
        except meters.MeterRefused as refusal:
            problem = str(refusal)
        else:
            message = (
                f"Relevé enregistré : compteur n° {meter.number} (poste {meter.berth.code}), "
                f"index {quantity(reading.index_milli)} {meter.unit}."
            )
            if _wants_json():
                return jsonify(ok=True, message=message)
            flash(message, "success")
            after = request.form.get("next_meter", "")
            anchor = f"#m-{after}" if after.isdigit() else ""
            pontoon = pontoon_of(meter.berth.code)
            return redirect(url_for("staff.energy_round", pontoon=pontoon) + anchor, code=303)
    else:
        problem = " ".join(e for errors in form.errors.values() for e in errors) or "Le relevé est incomplet."
    if _wants_json():
        return jsonify(ok=False, message=f"Compteur n° {meter.number} : {problem}"), 422
    rows = [m for m in readings.walk(current_port()) if pontoon_of(m.berth.code) == pontoon_of(meter.berth.code)]
    return render_template(
        "staff/energy/round.html",
        meters=rows,
        pontoons=sorted({pontoon_of(m.berth.code) for m in readings.walk(current_port())}),
        chosen=pontoon_of(meter.berth.code),
        form=form,
        kinds=meters.KINDS,
        error_meter=meter.id,
        error=problem,
    ), 422


def _now():
    return utcnow()


@bp.route("/energy/readings/<int:reading_id>/photo", endpoint="energy_reading_photo")
@staff_required
def reading_photo(reading_id):
    reading = readings.reading_for_staff(current_port(), reading_id)
    if reading is None or not reading.photo:
        abort(404)
    return send_file(absolute(reading.photo), mimetype=reading.photo_type)
