"""Paying one invoice online: confirmation, the form to the bank, the bank's notification, the return pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from marina_portal.billing import statement
from marina_portal.core.extensions import csrf
from marina_portal.payments import operations
from marina_portal.sepa import planned
from marina_portal.views.access import boater_required, may_see
from marina_portal.views.forms import REQUIRED

bp = Blueprint("payment", __name__, url_prefix="/payment")


class PayForm(FlaskForm):
    receipt_email = EmailField(
        "Adresse de réception du ticket de paiement",
        filters=[lambda v: v.strip() if v else v],
        validators=[
            DataRequired(REQUIRED),
            Length(max=120),
            Email(_l("Saisissez une adresse mail valide."), check_deliverability=False),
        ],
        description=_l("La banque et le port y envoient le ticket et le reçu du paiement."),
    )


def _own_invoice(invoice_id):
    invoice = statement.invoice_with_paid(invoice_id)
    if invoice is None or not may_see(invoice):
        abort(404)
    return invoice


@bp.route("/invoices/<int:invoice_id>", methods=["GET", "POST"])
@boater_required
def confirm(invoice_id):
    invoice = _own_invoice(invoice_id)
    if invoice.balance_cents <= 0:
        flash(_("La facture %(number)s est déjà réglée.", number=invoice.number), "info")
        return redirect(url_for("account.show"), code=303)
    if planned.for_customer(invoice.customer_id).collects(invoice):
        flash(
            _(
                "La facture %(number)s est prélevée par votre mandat : elle n'est pas à payer par carte.",
                number=invoice.number,
            ),
            "info",
        )
        return redirect(url_for("account.show"), code=303)
    form = PayForm(data={"receipt_email": current_user.email} if request.method == "GET" else None)
    available = operations.online_payment_available(invoice.port)
    if available and form.validate_on_submit():
        attempt, bank = operations.start_attempt(invoice, current_user.customer, form.receipt_email.data)
        return render_template("payment/to_bank.html", attempt=attempt, bank=bank, invoice=invoice)
    return render_template("payment/confirm.html", form=form, invoice=invoice, available=available)


@bp.route("/<reference>/<any(ok, err):way>")
@login_required
def returned(reference, way):
    """Where the bank sends the browser back: shows the attempt as the notification left it."""
    attempt = operations.attempt_by_reference(reference)
    if attempt is None or not may_see(attempt):
        abort(404)
    context = {"attempt": attempt, "way": way}
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return render_template("payment/_status.html", **context)
    return render_template("payment/returned.html", **context)


@bp.route("/<gateway_name>/notify", methods=["GET", "POST"])
@csrf.exempt
def notify(gateway_name):
    """The bank's server-to-server call (a GET when staff replay it): the only thing that marks paid."""
    fields = (request.form if request.method == "POST" else request.args).to_dict(flat=True)
    answer = operations.handle_notification(gateway_name, fields)
    if answer is None:
        abort(404)
    return answer
