"""The bank sandbox's pages (only with MONETICO_SANDBOX): the payment page, then pay, refuse or give up."""

import logging

from flask import Blueprint, abort, current_app, redirect, render_template, request

from marina_portal.core.extensions import csrf
from marina_portal.core.urls import external_url
from marina_portal.payments import merchant_for
from marina_portal.payments import sandbox as bank
from marina_portal.payments.monetico import parse_amount
from marina_portal.views.forms import EmptyForm
from marina_portal.views.shell import current_port

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox/monetico")
log = logging.getLogger(__name__)


@bp.before_request
def _only_when_enabled():
    if not current_app.config["MONETICO_SANDBOX"]:
        abort(404)


def _request_fields(form):
    return {k: v for k, v in form.to_dict(flat=True).items() if k not in ("csrf_token", "decision")}


def _checked(fields):
    """The request's problems, or the bank's error page when its seal is wrong."""
    try:
        return bank.check_request(fields, merchant_for(current_port())), None
    except bank.BadSeal:
        return None, (
            render_template(
                "sandbox/error.html",
                problems=["Le sceau (MAC) de la demande de paiement ne correspond pas : la demande a été refusée."],
            ),
            400,
        )


@bp.route("/paiement.cgi", methods=["POST"])
@csrf.exempt  # the merchant's page posts here like to any bank: the MAC protects the request
def payment_page():
    fields = _request_fields(request.form)
    problems, error = _checked(fields)
    if error:
        return error
    if problems:
        return render_template("sandbox/error.html", problems=problems), 400
    cents, currency = parse_amount(fields["montant"])
    return render_template(
        "sandbox/pay.html",
        fields=fields,
        cents=cents,
        currency=currency,
        merchant=merchant_for(current_port()),
        form=EmptyForm(),
    )


@bp.route("/decision", methods=["POST"])
def decision():
    fields = _request_fields(request.form)
    problems, error = _checked(fields)
    if error:
        return error
    if problems or not EmptyForm().validate_on_submit():
        return render_template("sandbox/error.html", problems=problems or ["Formulaire expiré."]), 400
    choice = request.form.get("decision")
    if choice not in ("pay", "refuse"):
        return redirect(fields["url_retour_err"], code=303)  # Abandonner: nothing happened at the bank
    note = bank.notification(fields, choice == "pay", merchant_for(current_port()).key, request.remote_addr)
    notify_url = external_url("payment.notify", gateway_name="monetico")
    if not bank.send_notification(notify_url, note):
        log.warning("sandbox: the merchant did not acknowledge the notification for %s", fields["reference"])
    return redirect(fields["url_retour_ok" if choice == "pay" else "url_retour_err"], code=303)
