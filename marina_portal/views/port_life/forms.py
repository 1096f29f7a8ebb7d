"""Forms of the port-life pages: absences, lettings, the waiting list, news and their settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from marina_portal.core.formats import parse_euros, parse_french_date
from marina_portal.views.forms import REQUIRED, BoatSizes, NewPassword, _new_password_fields

DATE_HELP = _l("Au format JJ/MM/AAAA.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class DateInput(StringField):
    """A date typed as JJ/MM/AAAA or picked in the browser's calendar (ISO); `.date` holds the value."""

    date = None

    def __init__(self, label, **kwargs):
        kwargs.setdefault("render_kw", {"type": "date"})
        kwargs.setdefault("filters", [_strip])
        super().__init__(label, **kwargs)

    def pre_validate(self, form):
        self.date = parse_french_date(self.data) if self.data else None
        if self.data and self.date is None:
            raise ValidationError(_l("Saisissez une date valide, par exemple 15/07/2026."))


class AbsenceForm(FlaskForm):
    contract = SelectField(_l("Poste"), coerce=int, validate_choice=False)
    starts_on = DateInput(
        _l("Date de départ"),
        validators=[DataRequired(REQUIRED)],
        description=_l("Le jour où le bateau quitte le port."),
    )
    ends_on = DateInput(
        _l("Date de retour"),
        validators=[DataRequired(REQUIRED)],
        description=_l("Le jour où le bateau revient à son poste."),
    )
    comment = TextAreaField(_l("Commentaire (facultatif)"), validators=[Optional(), Length(max=1000)])
    confirm_early = BooleanField(_l("Je confirme mon retour anticipé alors que mon poste est loué"))


class LettingForm(FlaskForm):
    starts_on = DateInput("Arrivée du visiteur", validators=[DataRequired(REQUIRED)])
    ends_on = DateInput("Départ du visiteur", validators=[DataRequired(REQUIRED)])
    revenue = StringField(
        "Montant encaissé (TTC)", validators=[DataRequired(REQUIRED)], description="En euros, par exemple 240,00."
    )

    def validate_revenue(self, field):
        self.revenue_cents = parse_euros(field.data)
        if self.revenue_cents is None or self.revenue_cents > 10_000_000_00:
            raise ValidationError("Saisissez un montant en euros, par exemple 240,00.")


class ReturnDateForm(FlaskForm):
    ends_on = DateInput("Nouvelle date de retour", validators=[DataRequired(REQUIRED)])


class CreditRuleForm(FlaskForm):
    mode = SelectField(
        "Crédit du plaisancier absent",
        choices=[
            SelectChoice("percent", "Un pourcentage du montant payé par le visiteur"),
            SelectChoice("per_night", "Un montant fixe par nuit louée"),
            SelectChoice("free_nights", "Une nuit offerte toutes les N nuits louées"),
        ],
    )
    value = StringField(
        "Valeur",
        validators=[DataRequired(REQUIRED)],
        description=(
            "Le pourcentage (par exemple 50), le montant par nuit en euros (par exemple 12,00), ou N, le nombre "
            "de nuits louées qui valent une nuit offerte au prix de la grille (par exemple 3)."
        ),
    )


class ApplicationForm(BoatSizes, FlaskForm):
    last_name = StringField(_l("Nom"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField(_l("Prénom"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=100)])
    email = EmailField(
        "Adresse mail",
        filters=[_strip],
        validators=[
            DataRequired(REQUIRED),
            Length(max=254, message=_l("Saisissez une adresse mail valide.")),
            Email(_l("Saisissez une adresse mail valide."), check_deliverability=False),
        ],
    )
    boat_name = StringField(_l("Nom du bateau"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=100)])
    boat_type = SelectField(
        _l("Type de bateau"),
        choices=[
            SelectChoice("Voilier", _l("Voilier")),
            SelectChoice("Vedette", _l("Vedette")),
            SelectChoice("Semi-rigide", _l("Semi-rigide")),
            SelectChoice("Catamaran", _l("Catamaran")),
            SelectChoice("Autre", _l("Autre")),
        ],
    )
    length = StringField(_l("Longueur (m)"), validators=[DataRequired(REQUIRED)], description=_l("Par exemple 9,50."))
    beam = StringField(_l("Largeur (m)"), validators=[DataRequired(REQUIRED)], description=_l("Par exemple 3,20."))
    draught = StringField(
        _l("Tirant d'eau (m)"), validators=[DataRequired(REQUIRED)], description=_l("Par exemple 1,50.")
    )
    wanted_from = DateInput(_l("Place souhaitée à partir du"), validators=[Optional()], description=DATE_HELP)
    wanted_to = DateInput(_l("Jusqu'au (facultatif)"), validators=[Optional()], description=DATE_HELP)


class ConfirmApplicationForm(NewPassword, FlaskForm):
    password, confirm = _new_password_fields()


class OfferForm(FlaskForm):
    berth = SelectField("Poste proposé", coerce=int, validate_choice=False)
    deadline = DateInput("Réponse attendue au plus tard le", validators=[DataRequired(REQUIRED)])


class ConfirmDateForm(FlaskForm):
    confirm_on = DateInput(
        "Date annuelle de confirmation",
        validators=[Optional()],
        description=("Chaque année à cette date, les demandeurs doivent avoir confirmé leur intérêt."),
    )


class NewsForm(FlaskForm):
    title = StringField("Titre", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=200)])
    body = TextAreaField("Texte", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=5000)])
    is_alert = BooleanField("Alerte urgente (météo, travaux, coupure d'eau…)")
    alert_for_all = BooleanField(
        "Alerte aussi pour les plaisanciers sans poste (liste d'attente) ; sinon, pour les titulaires d'un poste"
    )
    send_mail = BooleanField("Envoyer aussi par mail à tous les plaisanciers")
