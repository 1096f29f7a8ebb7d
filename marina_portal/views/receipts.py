"""The boater's receipts: one PDF per payment, and the yearly payment statement (only their own)."""

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from marina_portal.billing import receipts
from marina_portal.models import Customer
from marina_portal.views.access import boater_required

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
@boater_required
def receipt(payment_id):
    payment = receipts.receipt_of(payment_id, current_user.customer_id)
    if payment is None:
        abort(404)
    return pdf_response(receipts.receipt_pdf(payment), f"recu-{receipts.receipt_number(payment)}.pdf")


@bp.route("/attestation-<int:year>.pdf")
@boater_required
def statement(year):
    customer = Customer.get_by_id(current_user.customer_id)
    if year not in receipts.years_of(customer.id):
        abort(404)
    return pdf_response(receipts.statement_pdf(customer, year), f"attestation-paiements-{year}.pdf")
