"""Boats of a customer and the port's berths, typed in at the harbour office."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from marina_portal.boats import fleet
from marina_portal.core.formats import metres
from marina_portal.models import Boat, Customer
from marina_portal.views.access import staff_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.forms import BerthForm, BoatForm
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404


def _boat_page(customer, boat=None):
    form, problem = BoatForm(obj=boat), None
    if boat is not None and not form.is_submitted():
        form.length.data, form.beam.data = metres(boat.length_cm, unit=False), metres(boat.beam_cm, unit=False)
        form.draught.data = metres(boat.draught_cm, unit=False)
    if form.validate_on_submit():
        try:
            fleet.save_boat(current_user, customer, form.values(), boat, client_ip())
        except fleet.Refused as refusal:
            problem = str(refusal)
        else:
            flash("Bateau enregistré.", "success")
            return redirect(url_for("staff.customer", customer_id=customer.id), code=303)
    return render_template("staff/fleet/boat.html", customer=customer, boat=boat, form=form, problem=problem), (
        422 if form.is_submitted() else 200
    )


@bp.route("/customers/<int:customer_id>/boats/new", methods=["GET", "POST"])
@staff_required
def boat_new(customer_id):
    customer = port_row_or_404(Customer, customer_id)
    return _boat_page(customer)


@bp.route("/boats/<int:boat_id>/edit", methods=["GET", "POST"])
@staff_required
def boat_edit(boat_id):
    boat = port_row_or_404(Boat, boat_id, Boat.select(Boat, Customer).join(Customer), Customer.port)
    return _boat_page(boat.customer, boat)


@bp.route("/berths", methods=["GET", "POST"])
@staff_required
def berth_list():
    form, problem = BerthForm(), None
    if form.validate_on_submit():
        try:
            berth = fleet.add_berth(
                current_user,
                current_port(),
                {"code": form.code.data, "length_cm": form.length_cm, "width_cm": form.width_cm},
                client_ip(),
            )
        except fleet.Refused as refusal:
            problem = str(refusal)
        else:
            flash(f"Poste {berth.code} ajouté.", "success")
            return redirect(url_for("staff.berth_list"), code=303)
    return render_template(
        "staff/fleet/berths.html", berths=fleet.berths_with_holders(current_port()), form=form, problem=problem
    ), 422 if form.is_submitted() else 200
