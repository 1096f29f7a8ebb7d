"""The back office's energy forms: a meter, its swap, a reading on the pontoon, an energy price, an answer."""

import datetime as dt

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marina_portal.core.formats import PARIS, parse_decimal
from marina_portal.energy.meters import KINDS
from marina_portal.energy.rates import BASES
from marina_portal.tariffs.grid import VAT_RATES

REQUIRED = "Ce champ est obligatoire."
DATE_MESSAGE = "Saisissez une date valide."
INDEX_MESSAGE = "Saisissez l'index lu, par exemple 1520,5 (trois décimales au plus)."


def _index(field):
    value = parse_decimal(field.data, 3)
    if value is None or value < 0:
        raise ValidationError(INDEX_MESSAGE)
    return value


class MeterForm(FlaskForm):
    berth = SelectField("Poste", coerce=int, validators=[DataRequired("Choisissez le poste.")])
    kind = SelectField("Type", choices=[SelectChoice(k, v) for k, v in KINDS.items()])
    number = StringField("Numéro du compteur", validators=[DataRequired(REQUIRED), Length(max=40)])
    pedestal = StringField("Borne", validators=[Optional(), Length(max=40)])
    amperage = StringField("Ampérage de la prise (électricité)", validators=[Optional(), Length(max=3)])
    amperage_value = 0
    installed_on = DateField("Date de pose", validators=[DataRequired(DATE_MESSAGE)])
    opening_index = StringField("Index de départ", default="0", validators=[DataRequired(REQUIRED)])

    def validate_amperage(self, field):
        text = (field.data or "").strip()
        if text and not text.isdigit():
            raise ValidationError("Indiquez l'ampérage en chiffres, par exemple 16.")
        self.amperage_value = int(text or 0)

    def validate_opening_index(self, field):
        self.opening_index_milli = _index(field)


class SwapForm(FlaskForm):
    swapped_on = DateField("Date du remplacement", validators=[DataRequired(DATE_MESSAGE)])
    closing_index = StringField("Index de fin de l'ancien compteur", validators=[DataRequired(REQUIRED)])
    new_number = StringField("Numéro du nouveau compteur", validators=[DataRequired(REQUIRED), Length(max=40)])
    opening_index = StringField("Index de départ du nouveau compteur", default="0", validators=[DataRequired(REQUIRED)])

    def validate_closing_index(self, field):
        self.closing_index_milli = _index(field)

    def validate_opening_index(self, field):
        self.opening_index_milli = _index(field)


class ReadingForm(FlaskForm):
    """One reading per submit. `read_at` is sent by the page's script when the reading was typed offline."""

    index = StringField("Index", validators=[DataRequired("Saisissez l'index lu sur le compteur.")])
    photo = FileField("Photo du compteur")
    read_at = StringField("Relevé le", validators=[Optional(), Length(max=25)])
    read_at_utc = None  # the moment typed offline, when the script sent one

    def validate_index(self, field):
        self.index_milli = _index(field)

    def validate_read_at(self, field):
        text = (field.data or "").strip()
        if not text:
            return
        try:
            local = dt.datetime.fromisoformat(text[:16])
        except ValueError:
            raise ValidationError("Heure du relevé illisible.") from None
        self.read_at_utc = local.replace(tzinfo=PARIS).astimezone(dt.timezone.utc).replace(tzinfo=None)


class EnergyRateForm(FlaskForm):
    kind = SelectField("Énergie", choices=[SelectChoice(k, v) for k, v in KINDS.items()])
    basis = SelectField("Mode", choices=[SelectChoice(k, v) for k, v in BASES.items()])
    amperage = StringField("Ampérage (forfait)", validators=[Optional(), Length(max=3)])
    amperage_value = 0
    price = StringField("Prix HT (€, quatre décimales)", validators=[DataRequired(REQUIRED)])
    vat_rate = SelectField(
        "TVA", coerce=int, choices=[SelectChoice(r, f"{r / 100:g} %".replace(".", ",")) for r in VAT_RATES]
    )

    def validate_amperage(self, field):
        text = (field.data or "").strip()
        if text and not text.isdigit():
            raise ValidationError("Indiquez l'ampérage en chiffres, par exemple 16.")
        self.amperage_value = int(text or 0)

    def validate_price(self, field):
        self.price_e4 = parse_decimal(field.data, 4)
        if self.price_e4 is None or self.price_e4 < 0:
            raise ValidationError("Saisissez un prix en euros, quatre décimales au plus, par exemple 0,2316.")


class CorrectionForm(FlaskForm):
    index = StringField("Index corrigé", validators=[DataRequired(REQUIRED)])
    photo = FileField("Photo (facultative)")

    def validate_index(self, field):
        self.index_milli = _index(field)


class ExplanationForm(FlaskForm):
    text = TextAreaField("Explication", validators=[DataRequired(REQUIRED), Length(max=2000)])


class EnergyRunForm(FlaskForm):
    until = DateField("Consommations relevées jusqu'au", validators=[DataRequired(DATE_MESSAGE)])
