"""Paying one invoice online: confirmation, the form to the bank, the bank's notification, the return pages."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from marina_portal.billing import pay_links, statement
from marina_portal.core.extensions import csrf
from marina_portal.payments import operations
from marina_portal.views.access import boater_required, may_see
from marina_portal.views.forms import REQUIRED
from marina_portal.views.htmx import is_fragment_request

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
    form = PayForm(data={"receipt_email": current_user.email} if request.method == "GET" else None)
    available = operations.online_payment_available(invoice.port)
    if available and form.validate_on_submit():
        try:
            attempt, bank = operations.start_attempt(invoice, current_user.customer, form.receipt_email.data)
        except operations.PaymentInProgress as open_one:
            return render_template(
                "payment/in_progress.html",
                attempt=open_one.attempt,
                bank=open_one.request,
                invoice=invoice,
                until=open_one.until,
            )
        return render_template("payment/to_bank.html", attempt=attempt, bank=bank, invoice=invoice)
    return render_template("payment/confirm.html", form=form, invoice=invoice, available=available)


LINK_ATTEMPTS = "pay_link_attempts"  # in the session: payments started from a pay link, for the return page


@bp.route("/link/<token>", methods=["GET", "POST"])
def link(token):
    """A pay link from a mail: the payment page of its one invoice, without logging in."""
    try:
        invoice = pay_links.open_invoice(token)
    except pay_links.Refused as refusal:
        return render_template("payment/link_refused.html", message=refusal.translated()), 410 if refusal.gone else 404
    customer = invoice.customer
    form = PayForm(data={"receipt_email": customer.email or ""} if request.method == "GET" else None)
    available = operations.online_payment_available(invoice.port)
    if available and form.validate_on_submit():
        attempt, bank = operations.start_attempt(invoice, customer, form.receipt_email.data)
        session[LINK_ATTEMPTS] = (session.get(LINK_ATTEMPTS) or [])[-4:] + [attempt.reference]
        return render_template("payment/to_bank.html", attempt=attempt, bank=bank, invoice=invoice)
    return render_template(
        "payment/confirm.html",
        form=form,
        invoice=invoice,
        available=available,
        action=url_for("payment.link", token=token),
        via_link=True,
    )


@bp.route("/<reference>/<any(ok, err):way>")
def returned(reference, way):
    """Where the bank sends the browser back: shows the attempt as the notification left it.

    Its owner (or staff) sees it; so does the browser that started it from a pay link, and no other."""
    attempt = operations.attempt_by_reference(reference)
    from_link = attempt is not None and reference in (session.get(LINK_ATTEMPTS) or [])
    if not from_link and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if attempt is None or not (from_link or may_see(attempt)):
        abort(404)
    context = {"attempt": attempt, "way": way}
    if is_fragment_request():
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
