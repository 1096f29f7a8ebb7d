"""Receipts: one PDF per payment and the yearly payment statement; a boater gets only their own, staff any."""

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required

from marina_portal.billing import receipts
from marina_portal.models import Customer
from marina_portal.views.access import boater_required, may_see

bp = Blueprint("receipts", __name__, url_prefix="/account/receipts")


def pdf_response(pdf, filename):
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


@bp.route("/")
@boater_required
def index():
    payments = receipts.payments_of(current_user.customer_id)
    return render_template(
        "account/receipts.html",
        payments=payments,
        years=sorted({p.received_on.year for p in payments}, reverse=True),
        number=receipts.receipt_number,
    )


@bp.route("/<int:payment_id>.pdf")
@login_required
def receipt(payment_id):
    payment = receipts.receipt_of(payment_id, None if current_user.is_staff else current_user.customer_id)
    if payment is None or not may_see(payment.invoice):
        abort(404)
    return pdf_response(receipts.receipt_pdf(payment), f"recu-{receipts.receipt_number(payment)}.pdf")


@bp.route("/attestation-<int:year>.pdf")
@boater_required
def statement(year):
    return _statement(current_user.customer_id, year)


@bp.route("/customers/<int:customer_id>/attestation-<int:year>.pdf")
@login_required
def customer_statement(customer_id, year):
    """The same statement for the harbour office (any customer), or for the boater whose it is."""
    if not current_user.is_staff and customer_id != current_user.customer_id:
        abort(404)
    return _statement(customer_id, year)


def _statement(customer_id, year):
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None or year not in receipts.years_of(customer.id):
        abort(404)
    return pdf_response(receipts.statement_pdf(customer, year), f"attestation-paiements-{year}.pdf")
