"""Paying one invoice online: confirmation, the form to the bank, the bank's notification, the return pages."""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from marina_portal.billing import pay_links, schedules, statement
from marina_portal.core.extensions import csrf, limiter
from marina_portal.core.formats import paris_today
from marina_portal.payments import billing_address, operations
from marina_portal.sepa import planned
from marina_portal.views.access import boater_required, may_see
from marina_portal.views.forms import REQUIRED
from marina_portal.views.htmx import is_fragment_request
from marina_portal.views.security import body_limit

bp = Blueprint("payment", __name__, url_prefix="/payment")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


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
    # Asked only when the address on file is incomplete: the bank's page requires one.
    street = StringField(_l("Adresse"), filters=[_strip], validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Code postal"), filters=[_strip], validators=[Optional(), Length(max=20)])
    town = StringField(_l("Ville"), filters=[_strip], validators=[Optional(), Length(max=100)])
    country = StringField(
        _l("Pays"),
        filters=[_strip],
        validators=[Optional(), Length(max=60)],
        description=_l("Code à 2 lettres, par exemple FR."),
    )

    def address(self):
        return billing_address.billing(self.street.data, self.town.data, self.postcode.data, self.country.data)


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
    customer = current_user.customer
    on_file = billing_address.of_customer(customer)
    ask_address = billing_address.incomplete(on_file)
    initial = {"receipt_email": current_user.email, "street": customer.street, "postcode": customer.postcode}
    initial.update(town=customer.town, country=on_file["country"] or customer.country)
    form = PayForm(data=initial if request.method == "GET" else None)
    available = operations.online_payment_available(invoice.port)
    problem = None
    if available and form.validate_on_submit():
        try:
            attempt, bank = operations.start_attempt(
                invoice, customer, form.receipt_email.data, form.address() if ask_address else None
            )
        except operations.PaymentInProgress as open_one:
            return render_template(
                "payment/in_progress.html",
                attempt=open_one.attempt,
                bank=open_one.request,
                invoice=invoice,
                until=open_one.until,
            )
        except operations.AddressNeeded:
            problem = _(
                "Complétez l'adresse de facturation : la banque demande l'adresse, le code postal, la ville "
                "et le pays (code à 2 lettres, par exemple FR)."
            )
        except operations.PaymentUnavailable:
            available = False
        else:
            return render_template("payment/to_bank.html", attempt=attempt, bank=bank, invoice=invoice)
    status = 422 if problem else 200
    return render_template(
        "payment/confirm.html",
        form=form,
        invoice=invoice,
        available=available,
        ask_address=ask_address,
        problem=problem,
        **_amount_asked(invoice),
    ), status


def _amount_asked(invoice):
    """What the bank will be asked for (the balance, or the instalments due) and the schedule to show."""
    return {"amount_cents": schedules.to_pay_now(invoice, paris_today()), "instalments": schedules.shown(invoice)}


LINK_ATTEMPTS = "pay_link_attempts"  # in the session: payments started from a pay link, for the return page


@bp.route("/link/<token>", methods=["GET", "POST"])
def link(token):
    """A pay link from a mail: the payment page of its one invoice, without logging in."""
    try:
        invoice = pay_links.open_invoice(token)
    except pay_links.Refused as refusal:
        return render_template("payment/link_refused.html", message=refusal.translated()), refusal.status
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
        **_amount_asked(invoice),
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


def _bad_seal(response):
    return bool(g.get("bad_seal"))


@bp.route("/<gateway_name>/notify", methods=["GET", "POST"])
@body_limit("NOTIFY_MAX_BYTES")
@csrf.exempt
@limiter.limit(lambda: current_app.config["NOTIFY_BAD_SEAL_LIMIT"], deduct_when=_bad_seal)
def notify(gateway_name):
    """The bank's server-to-server call (a GET when staff replay it): the only thing that marks paid.

    Anyone may call it, so the body is capped (a real notification is under 4 KB; larger answers 413
    unread) and an address that keeps sending bad seals is refused for a while (429)."""
    fields = (request.form if request.method == "POST" else request.args).to_dict(flat=True)
    g.bad_seal = operations.seal_is_valid(gateway_name, fields) is False
    answer = operations.handle_notification(gateway_name, fields)
    if answer is None:
        abort(404)
    return answer
