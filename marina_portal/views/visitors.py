"""Escale: the public page a berth's QR code opens. A visitor types the boat, the nights, sees the price and pays
by card without an account; the bank's confirmation does the rest (visitors/stays.py)."""

import re

from flask import Blueprint, abort, render_template, session
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, ValidationError

from marina_portal.core.formats import paris_today, parse_metres
from marina_portal.core.refusals import Refusal
from marina_portal.payments import operations
from marina_portal.views.forms import REQUIRED
from marina_portal.views.payments import LINK_ATTEMPTS
from marina_portal.views.shell import current_port
from marina_portal.visitors import availability, stays

bp = Blueprint("visitor", __name__, url_prefix="/escale")


class StayForm(FlaskForm):
    boat_name = StringField(_l("Nom du bateau"), validators=[DataRequired(REQUIRED), Length(max=60)])
    length = StringField(_l("Longueur du bateau (m)"), validators=[DataRequired(REQUIRED)])
    arrives_on = DateField(_l("Date d'arrivée"), validators=[DataRequired(_l("Saisissez une date valide."))])
    nights = IntegerField(
        _l("Nombre de nuits"),
        validators=[
            DataRequired(_l("Indiquez de 1 à 14 nuits.")),
            NumberRange(1, availability.MAX_NIGHTS, _l("Indiquez de 1 à 14 nuits.")),
        ],
    )
    visitor_name = StringField(_l("Votre nom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    street = StringField(_l("Adresse"), validators=[DataRequired(REQUIRED), Length(max=100)])
    postcode = StringField(_l("Code postal"), validators=[DataRequired(REQUIRED), Length(max=12)])
    town = StringField(_l("Ville"), validators=[DataRequired(REQUIRED), Length(max=60)])
    country = StringField(
        _l("Pays (code à deux lettres)"), default="FR", validators=[DataRequired(REQUIRED), Length(max=2)]
    )
    email = EmailField(
        _l("Adresse de réception du reçu"),
        filters=[lambda v: v.strip() if v else v],
        validators=[
            DataRequired(REQUIRED),
            Length(max=120),
            Email(_l("Saisissez une adresse mail valide."), check_deliverability=False),
        ],
        description=_l("Le reçu et le code d'accès du port y sont envoyés."),
    )

    def validate_country(self, field):
        field.data = (field.data or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", field.data):
            raise ValidationError(_l("Indiquez le pays en deux lettres, par exemple FR."))

    def validate_length(self, field):
        self.length_cm = parse_metres(field.data)
        if not self.length_cm or self.length_cm > 10000:
            raise ValidationError(_l("Indiquez une mesure en mètres, par exemple 9,50."))

    def ask(self):
        return stays.Ask(
            self.boat_name.data.strip().upper(),
            self.length_cm,
            self.arrives_on.data,
            self.nights.data,
            self.visitor_name.data.strip(),
            self.email.data,
            street=self.street.data.strip(),
            postcode=self.postcode.data.strip(),
            town=self.town.data.strip().upper(),
            country=self.country.data,
        )


def _berth(code):
    berth = stays.berth_by_code(current_port(), code)
    if berth is None:
        abort(404)
    return berth


@bp.route("/<berth_code>", methods=["GET", "POST"])
def berth(berth_code):
    """The form, then (a valid POST) the price with the button to pay."""
    berth = _berth(berth_code)
    form, problem, price = StayForm(), None, None
    if not form.is_submitted():
        form.arrives_on.data, form.nights.data = paris_today(), 1
    if form.validate_on_submit():
        try:
            price = stays.check(current_port(), berth, form.ask())
        except Refusal as refusal:  # not free, too long, no night rate in the grid…
            problem = refusal.translated()
    tonight = availability.nights(berth, paris_today(), 7)
    template = "visitors/price.html" if price else "visitors/berth.html"
    status = 422 if form.is_submitted() and not price else 200
    return render_template(template, berth=berth, form=form, problem=problem, price=price, tonight=tonight), status


@bp.route("/<berth_code>/payer", methods=["POST"])
def pay(berth_code):
    """Hold the nights and go to the bank; another visitor who took them first is told here, before paying."""
    berth = _berth(berth_code)
    form, problem = StayForm(), None
    available = operations.online_payment_available(current_port())
    if form.validate_on_submit() and available:
        try:
            stay = stays.hold(current_port(), berth, form.ask())
        except Refusal as refusal:  # not free, too long, no night rate in the grid…
            problem = refusal.translated()
        else:
            attempt, bank = stays.pay(stay, form.ask())
            session[LINK_ATTEMPTS] = (session.get(LINK_ATTEMPTS) or [])[-4:] + [attempt.reference]
            return render_template("visitors/to_bank.html", attempt=attempt, bank=bank, stay=stay)
    elif not available:
        problem = _l("Le paiement en ligne n'est pas disponible : payez à la capitainerie.")
    tonight = availability.nights(berth, paris_today(), 7)
    return render_template(
        "visitors/berth.html", berth=berth, form=form, problem=problem, price=None, tonight=tonight
    ), 422
