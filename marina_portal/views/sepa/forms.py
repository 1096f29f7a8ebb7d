"""The mandate's forms: the debtor's details with IBAN/BIC checks, and the explicit signing act."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from marina_portal.sepa.bank_details import BankDetailsError, check_bic, check_iban, compact
from marina_portal.views.forms import REQUIRED


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MandateDetailsForm(FlaskForm):
    debtor_name = StringField(
        _l("Nom"),
        filters=[_strip],
        validators=[DataRequired(REQUIRED), Length(max=70)],
        description=_l("Le titulaire du compte, tel qu'il figure sur votre RIB."),
    )
    street = StringField(_l("Adresse"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=70)])
    postcode = StringField(_l("Code postal"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=16)])
    town = StringField(_l("Ville"), filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=35)])
    country = StringField(
        _l("Pays"),
        filters=[_strip],
        validators=[
            DataRequired(REQUIRED),
            Length(min=2, max=2, message=_l("Le pays s'écrit avec son code à 2 lettres, par exemple FR.")),
        ],
        description=_l("Code à 2 lettres, par exemple FR."),
    )
    iban = StringField(
        "IBAN",
        validators=[DataRequired(_l("Saisissez l'IBAN inscrit sur votre RIB."))],
        description=_l("Par exemple FR76 3000 6000 0112 3456 7890 189 ; les espaces sont acceptés."),
    )
    bic = StringField(
        "BIC",
        description=_l(
            "8 ou 11 caractères ; laissez vide pour qu'il soit déduit de l'IBAN quand la banque est connue."
        ),
    )

    def validate_iban(self, field):
        try:
            self.clean_iban = check_iban(field.data)
        except BankDetailsError as e:
            self.clean_iban = None
            raise ValidationError(e.translated()) from None

    def validate_bic(self, field):
        if not getattr(self, "clean_iban", None):
            return  # the IBAN's own message is enough
        try:
            self.clean_bic = check_bic(field.data, self.clean_iban)
        except BankDetailsError as e:
            raise ValidationError(e.translated()) from None

    def validate_country(self, field):
        field.data = compact(field.data)
        if not field.data.isalpha():
            raise ValidationError(_l("Le pays s'écrit avec son code à 2 lettres, par exemple FR."))


class SignMandateForm(FlaskForm):
    place = StringField(
        _l("Lieu de signature"),
        filters=[_strip],
        validators=[Length(max=70)],
        description=_l("La ville où vous signez ; laissée vide, c'est la ville de votre adresse."),
    )
    accept = BooleanField(
        _l("J'ai vérifié les informations ci-dessus et j'autorise le prélèvement selon ce mandat."),
        validators=[DataRequired(_l("Cochez la case pour confirmer votre signature."))],
    )


class ChangeAccountForm(FlaskForm):
    """A new account for the same mandate (same RUM): the next debit tells the bank the original one."""

    iban = StringField(
        "IBAN",
        validators=[DataRequired(_l("Saisissez l'IBAN inscrit sur votre RIB."))],
        description=_l("Par exemple FR76 3000 6000 0112 3456 7890 189 ; les espaces sont acceptés."),
    )
    bic = StringField("BIC", description=_l("8 ou 11 caractères ; laissez vide s'il est déduit de l'IBAN."))
    accept = BooleanField(
        _l("Je demande que les prochains prélèvements de ce mandat soient faits sur ce compte."),
        validators=[DataRequired(_l("Cochez la case pour confirmer le changement de compte."))],
    )

    validate_iban = MandateDetailsForm.validate_iban
    validate_bic = MandateDetailsForm.validate_bic
