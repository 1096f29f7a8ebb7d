"""Customers: search as you type, the customer page, edit, and the first-login invitation."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.billing.invoicing import METHOD_LABELS
from marina_portal.customers import records
from marina_portal.models import Customer
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.htmx import is_fragment_request
from marina_portal.views.shell import current_port
from marina_portal.views.staff.forms import CustomerForm, NewCustomerForm
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404


def _customer_or_404(customer_id):
    return port_row_or_404(Customer, customer_id)


@bp.route("/customers")
@staff_required
def customer_list():
    text = request.args.get("q", "")
    page = request.args.get("page", 1, type=int)
    rows, total, pages = records.search(current_port(), text, page)
    context = dict(customers=rows, total=total, pages=pages, page=min(max(page, 1), pages), q=text)
    if is_fragment_request():
        return render_template("staff/customers/_results.html", **context)
    return render_template("staff/customers/index.html", **context)


@bp.route("/customers/new", methods=["GET", "POST"])
@staff_required
def customer_new():
    form, problem = NewCustomerForm(), None
    if not form.is_submitted():
        form.country.data = "FR"
    if form.validate_on_submit():
        row = records.create(current_user, current_port(), form.code.data, form.data, client_ip())
        if row is not None:
            flash("Client créé.", "success")
            return redirect(url_for("staff.customer", customer_id=row.id), code=303)
        problem = f"Le code client {form.code.data} est déjà utilisé."
    return render_template("staff/customers/edit.html", customer=None, form=form, problem=problem), (
        422 if form.is_submitted() else 200
    )


@bp.route("/customers/<int:customer_id>")
@staff_required
def customer(customer_id):
    row = _customer_or_404(customer_id)
    return render_template(
        "staff/customers/show.html", customer=row, case=records.case_file(row), methods=METHOD_LABELS, form=EmptyForm()
    )


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@staff_required
def customer_edit(customer_id):
    row = _customer_or_404(customer_id)
    form = CustomerForm(obj=row)
    if form.validate_on_submit():
        if records.update(current_user, row, form.data, client_ip()):
            flash("Fiche client enregistrée.", "success")
        return redirect(url_for("staff.customer", customer_id=row.id), code=303)
    return render_template("staff/customers/edit.html", customer=row, form=form)


@bp.route("/customers/<int:customer_id>/invite", methods=["POST"])
@staff_required
def customer_invite(customer_id):
    row = _customer_or_404(customer_id)
    if EmptyForm().validate_on_submit():
        if records.send_invitation(current_user, row, client_ip()):
            flash(f"Le mail de première connexion a été envoyé à {row.email}.", "success")
        else:
            flash("Ce client n'a pas d'adresse mail : ajoutez-la d'abord à sa fiche.", "error")
    return redirect(url_for("staff.customer", customer_id=row.id), code=303)


@bp.route("/customers/<int:customer_id>/unlock", methods=["POST"])
@staff_required
def customer_unlock(customer_id):
    row = _customer_or_404(customer_id)
    if EmptyForm().validate_on_submit():
        emails = records.unlock(current_user, row, client_ip())
        flash("Connexion débloquée pour " + (", ".join(emails) or "ce client") + ".", "success")
    return redirect(url_for("staff.customer", customer_id=row.id), code=303)
