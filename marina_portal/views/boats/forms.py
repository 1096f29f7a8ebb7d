"""Forms of "Mon bateau et mes papiers": contact details, proposed boat facts, a paper to upload, a refusal."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from marina_portal.boats.papers import KINDS
from marina_portal.views.forms import REQUIRED, BoatSizes
from marina_portal.views.port_life.forms import DATE_HELP, DateInput, _strip

BOAT_TYPES = ("Voilier", "Vedette", "Semi-rigide", "Catamaran", "Autre")
BOAT_TYPE_LABELS = {
    "Voilier": _l("Voilier"),
    "Vedette": _l("Vedette"),
    "Semi-rigide": _l("Semi-rigide"),
    "Catamaran": _l("Catamaran"),
    "Autre": _l("Autre"),
}


class ContactForm(FlaskForm):
    phone = StringField(
        _l("Téléphone"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=30),
            Regexp(
                r"^\+?[0-9 .()-]{6,30}$",
                message=_l("Saisissez un numéro de téléphone, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78."),
            ),
        ],
    )
    street = StringField(_l("Adresse"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=200)])
    postcode = StringField(_l("Code postal"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=12)])
    town = StringField(_l("Ville"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=100)])
    country = StringField(
        _l("Pays"),
        filters=[_strip],
        description=_l("Code à deux lettres, par exemple FR."),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^[A-Za-z]{2}$", message=_l("Saisissez le code du pays en deux lettres, par exemple FR.")),
        ],
    )


class BoatChangeForm(BoatSizes, FlaskForm):
    name = StringField(_l("Nom du bateau"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=100)])
    registration = StringField(
        _l("Immatriculation"),
        filters=[_strip],
        validators=[Length(max=40)],
        description=_l("Telle qu'elle figure sur l'acte de francisation ou la carte de circulation."),
    )
    boat_type = SelectField(_l("Type de bateau"))
    length = StringField(
        _l("Longueur (m)"), filters=[_strip], validators=[DataRequired(REQUIRED)], description=_l("Par exemple 9,50.")
    )
    beam = StringField(
        _l("Largeur (m)"), filters=[_strip], validators=[DataRequired(REQUIRED)], description=_l("Par exemple 3,20.")
    )
    draught = StringField(
        _l("Tirant d'eau (m)"),
        filters=[_strip],
        validators=[DataRequired(REQUIRED)],
        description=_l("Par exemple 1,50."),
    )

    def set_type_choices(self, current=""):
        """The usual types, plus the boat's own when the harbour office typed another one."""
        choices = [SelectChoice(value, BOAT_TYPE_LABELS[value]) for value in BOAT_TYPES]
        if current and current not in BOAT_TYPES:
            choices.insert(0, SelectChoice(current, current))
        self.boat_type.choices = choices

    def values(self):
        return {
            "name": self.name.data,
            "registration": self.registration.data or "",
            "boat_type": self.boat_type.data or "",
            "length_cm": self.length_cm,
            "beam_cm": self.beam_cm,
            "draught_cm": self.draught_cm,
        }


class PaperForm(FlaskForm):
    kind = SelectField(_l("Document"), choices=[SelectChoice(value, _l(label)) for value, label in KINDS.items()])
    valid_until = DateInput(_l("Valable jusqu'au (assurance)"), validators=[Optional()], description=DATE_HELP)
    file = FileField(_l("Fichier (PDF, ou photo JPEG ou PNG)"))


class RefusalForm(FlaskForm):
    reason = TextAreaField(
        "Motif du refus",
        filters=[_strip],
        validators=[DataRequired("Indiquez le motif du refus : il est envoyé au plaisancier."), Length(max=500)],
    )
