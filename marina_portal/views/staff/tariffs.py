"""Tarifs at the harbour office: seasons, their rates by category, period and length band, publishing, history."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from marina_portal.core import audit
from marina_portal.core.formats import paris_today, parse_euros, parse_metres
from marina_portal.models import Tariff, TariffRate
from marina_portal.tariffs import grid, publishing
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404

REQUIRED = "Ce champ est obligatoire."


def _rate_label(bp_value):
    return ("%g" % (bp_value / 100)).replace(".", ",") + " %"


class SeasonForm(FlaskForm):
    year = IntegerField(
        "Saison (année)",
        validators=[DataRequired("Indiquez l'année."), NumberRange(2000, 2100, "Année entre 2000 et 2100.")],
    )
    copy_from = SelectField("Reprendre les tarifs de", validate_choice=False)
    uplift = StringField("Augmentation (%)", default="0", description="Par exemple 2,5 pour +2,5 %.")

    def set_seasons(self, tariffs):
        self.copy_from.choices = [SelectChoice("", "Aucune (grille vide)")] + [
            SelectChoice(str(t.id), str(t.year)) for t in tariffs
        ]
        self._ids = {str(t.id) for t in tariffs}

    def validate_copy_from(self, field):
        if field.data and field.data not in self._ids:
            raise ValidationError("Choisissez une saison existante.")

    def validate_uplift(self, field):
        value = parse_euros((field.data or "0").lstrip("+"))
        if value is None or value > 10000:
            raise ValidationError("Saisissez un pourcentage, par exemple 2,5.")
        self.uplift_bp = value


class RateForm(FlaskForm):
    category = StringField("Catégorie de poste", validators=[DataRequired(REQUIRED), Length(max=60)], default="Ponton")
    period = SelectField("Période", choices=[SelectChoice(k, v) for k, v in grid.PERIODS.items()])
    length_from = StringField("Longueur à partir de (m, exclue)", default="0")
    length_to = StringField("Jusqu'à (m, incluse)", validators=[DataRequired(REQUIRED)])
    basis = SelectField("Calcul", choices=[SelectChoice(k, v) for k, v in grid.BASES.items()])
    price = StringField("Prix HT (€)", validators=[DataRequired(REQUIRED)], description="Pour la bande, ou par m².")
    vat_rate = SelectField("TVA", choices=[SelectChoice(str(r), _rate_label(r)) for r in grid.VAT_RATES])

    def _metres(self, field, optional=False):
        value = parse_metres(field.data or ("0" if optional else ""))
        if value is None or value > 20000:
            raise ValidationError("Indiquez une mesure en mètres, par exemple 9,50.")
        return value

    def validate_length_from(self, field):
        self.length_from_cm = self._metres(field, optional=True)

    def validate_length_to(self, field):
        self.length_to_cm = self._metres(field)

    def validate_price(self, field):
        self.price_cents = parse_euros(field.data)
        if self.price_cents is None:
            raise ValidationError("Saisissez un prix en euros, par exemple 1 266,67.")

    def values(self):
        return {
            "category": self.category.data,
            "period": self.period.data,
            "length_from_cm": self.length_from_cm,
            "length_to_cm": self.length_to_cm,
            "basis": self.basis.data,
            "price_ht_cents": self.price_cents,
            "vat_rate_bp": int(self.vat_rate.data),
        }

    def fill(self, rate):
        self.category.data, self.period.data, self.basis.data = rate.category, rate.period, rate.basis
        self.length_from.data, self.length_to.data = grid.metres(rate.length_from_cm), grid.metres(rate.length_to_cm)
        self.price.data = f"{rate.price_ht_cents // 100},{rate.price_ht_cents % 100:02d}"
        self.vat_rate.data = str(rate.vat_rate_bp)


def _tariff_or_404(tariff_id):
    return port_row_or_404(Tariff, tariff_id)


def _rate_or_404(rate_id):
    return port_row_or_404(TariffRate, rate_id, TariffRate.select(TariffRate, Tariff).join(Tariff), Tariff.port)


@bp.route("/tariffs", methods=["GET", "POST"])
@staff_required
def tariff_list():
    port = current_port()
    tariffs = list(Tariff.select().where(Tariff.port == port).order_by(Tariff.year.desc()))
    form, problem = SeasonForm(), None
    form.set_seasons(tariffs)
    if not form.is_submitted():
        form.year.data = (tariffs[0].year + 1) if tariffs else paris_today().year + 1
        form.copy_from.data = str(tariffs[0].id) if tariffs else ""
    if form.validate_on_submit():
        source = next((t for t in tariffs if str(t.id) == form.copy_from.data), None)
        try:
            tariff = grid.create_season(current_user, port, form.year.data, source, form.uplift_bp, client_ip())
        except grid.Refused as refusal:
            problem = str(refusal)
        else:
            flash(f"Saison {tariff.year} créée.", "success")
            return redirect(url_for("staff.tariff", tariff_id=tariff.id), code=303)
    counts = {t.id: t.rates.count() for t in tariffs}
    return render_template("staff/tariffs/index.html", tariffs=tariffs, counts=counts, form=form, problem=problem), (
        422 if form.is_submitted() else 200
    )


def _show(tariff, form=None, problem=None, status=200):
    form = form or RateForm(formdata=None)
    return render_template(
        "staff/tariffs/show.html",
        tariff=tariff,
        rates=grid.rates_of(tariff),
        periods=grid.PERIODS,
        bases=grid.BASES,
        ttc=grid.unit_ttc_cents,
        vat_label=_rate_label,
        form=form,
        problem=problem,
        berth_categories=grid.berth_categories(tariff.port_id),
        history=audit.entries_for("tariff", tariff.id),
        publish_form=EmptyForm(formdata=None),
    ), status


@bp.route("/tariffs/<int:tariff_id>")
@staff_required
def tariff(tariff_id):
    return _show(_tariff_or_404(tariff_id))


@bp.route("/tariffs/<int:tariff_id>/rates", methods=["POST"])
@staff_required
def tariff_rate_add(tariff_id):
    tariff = _tariff_or_404(tariff_id)
    form = RateForm()
    if not form.validate_on_submit():
        return _show(tariff, form, status=422)
    try:
        grid.save_rate(current_user, tariff, form.values(), ip=client_ip())
    except grid.Refused as refusal:
        return _show(tariff, form, str(refusal), status=422)
    publishing.refresh_if_published(current_user, tariff, client_ip())
    flash("Tarif ajouté.", "success")
    return redirect(url_for("staff.tariff", tariff_id=tariff.id), code=303)


@bp.route("/tariff-rates/<int:rate_id>", methods=["GET", "POST"])
@staff_required
def tariff_rate_edit(rate_id):
    rate = _rate_or_404(rate_id)
    form, problem = RateForm(), None
    if not form.is_submitted():
        form.fill(rate)
    elif form.validate_on_submit():
        try:
            _, changed = grid.save_rate(current_user, rate.tariff, form.values(), rate, client_ip())
        except grid.Refused as refusal:
            problem = str(refusal)
        else:
            if changed:
                publishing.refresh_if_published(current_user, rate.tariff, client_ip())
            flash("Tarif enregistré." if changed else "Aucun changement.", "success")
            return redirect(url_for("staff.tariff", tariff_id=rate.tariff_id), code=303)
    return render_template(
        "staff/tariffs/rate.html", rate=rate, form=form, problem=problem, delete_form=EmptyForm(formdata=None)
    ), (422 if form.is_submitted() else 200)


@bp.route("/tariff-rates/<int:rate_id>/delete", methods=["POST"])
@staff_required
def tariff_rate_delete(rate_id):
    rate = _rate_or_404(rate_id)
    tariff = rate.tariff
    if EmptyForm().validate_on_submit():
        grid.delete_rate(current_user, rate, client_ip())
        publishing.refresh_if_published(current_user, tariff, client_ip())
        flash("Tarif supprimé.", "success")
    return redirect(url_for("staff.tariff", tariff_id=tariff.id), code=303)


@bp.route("/tariffs/<int:tariff_id>/publish", methods=["POST"])
@staff_required
def tariff_publish(tariff_id):
    tariff = _tariff_or_404(tariff_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        publishing.publish(current_user, tariff, client_ip())
    except grid.Refused as refusal:
        return _show(tariff, problem=str(refusal), status=422)
    flash(f"Tarifs {tariff.year} publiés : page « Tarifs » et ESPACE DE TELECHARGEMENT.", "success")
    return redirect(url_for("staff.tariff", tariff_id=tariff.id), code=303)
