"""Forms shared by several features; a feature's own forms live beside its views."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from marina_portal.accounts.logins import PASSWORD_MIN_LENGTH, password_problem
from marina_portal.core.formats import parse_euros, parse_french_date, parse_metres

REQUIRED = _l("Ce champ est obligatoire.")


class EmptyForm(FlaskForm):
    """A button-only POST still carries a CSRF token."""


class BoatSizes:
    """Mixin for a form with `length`, `beam` and `draught` typed in metres ("9,50"): each validated one
    leaves its centimetres in `length_cm`, `beam_cm`, `draught_cm`. Boaters must give all three; the
    harbour office may leave one empty (0, unknown)."""

    sizes_optional = False
    sizes_message = None  # one message for the three; else each gives an example of its own size
    sizes_messages = {
        "length": _l("Indiquez une mesure en mètres, par exemple 9,50."),
        "beam": _l("Indiquez une mesure en mètres, par exemple 3,20."),
        "draught": _l("Indiquez une mesure en mètres, par exemple 1,50."),
    }

    def _centimetres(self, field):
        if self.sizes_optional and not field.data:
            return 0
        centimetres = parse_metres(field.data)
        if (
            centimetres is None
            or centimetres < 0
            or (centimetres == 0 and not self.sizes_optional)
            or centimetres > 20000
        ):
            raise ValidationError(self.sizes_message or self.sizes_messages[field.name])
        return centimetres

    def validate_length(self, field):
        self.length_cm = self._centimetres(field)

    def validate_beam(self, field):
        self.beam_cm = self._centimetres(field)

    def validate_draught(self, field):
        self.draught_cm = self._centimetres(field)


class LoginForm(FlaskForm):
    # The tutorial's words in French; in English "Login" is kept and "Mot de passe" is glossed
    email = StringField(_l("Login"), filters=[lambda v: v.strip() if v else v], validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED)])
    remember = BooleanField(
        _l("Rester connecté"), description=_l("30 jours sur cet appareil ; sinon la session se ferme après 2 heures.")
    )


class EmailForm(FlaskForm):
    email = EmailField(
        _l("Login"),
        filters=[lambda v: v.strip() if v else v],
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Saisissez une adresse mail valide."), check_deliverability=False),
        ],
    )


class RegisterContractForm(FlaskForm):
    email = EmailField(
        "Adresse mail",
        filters=[lambda v: v.strip() if v else v],
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Saisissez une adresse mail valide."), check_deliverability=False),
        ],
    )
    invoice_number = StringField(
        "Numéro de facture",
        # « 2026-02301 » or « 2026 02301 » typed for the printed 2026/02301
        filters=[lambda v: re.sub(r"^\s*(\d{4})\s*[-\s.]\s*(\d+)\s*$", r"\1/\2", v) if v else v],
        validators=[DataRequired(REQUIRED), Length(max=50)],
    )
    invoice_date = StringField(
        "Date de facture",
        validators=[DataRequired(REQUIRED)],
        description=_l("Au format JJ/MM/AAAA, par exemple 15/01/2026."),
    )
    amount = StringField(
        "Montant TTC",
        validators=[DataRequired(REQUIRED)],
        description=_l("Le montant total de la facture, par exemple 1\u00a0520,00."),
    )

    def validate_invoice_date(self, field):
        self.parsed_date = parse_french_date(field.data)
        if self.parsed_date is None:
            raise ValidationError(_l("Saisissez la date au format JJ/MM/AAAA, par exemple 15/01/2026."))

    def validate_amount(self, field):
        self.parsed_amount = parse_euros(field.data)
        if self.parsed_amount is None:
            raise ValidationError(_l("Saisissez un montant en euros, par exemple 1\u00a0520,00."))


def _new_password_fields():
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=PASSWORD_MIN_LENGTH,
                message=_l("Le mot de passe doit contenir au moins %(n)s caractères.", n=PASSWORD_MIN_LENGTH),
            ),
        ],
        description=_l("Au moins %(n)s caractères.", n=PASSWORD_MIN_LENGTH),
    )
    confirm = PasswordField(
        _l("Confirmer le mot de passe"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Les deux mots de passe ne sont pas identiques."))],
    )
    return password, confirm


class NewPassword:
    """Mixin for a form choosing a password: refused when easy to guess. The view sets `password_facts`
    (the login email, names) before validating, so that a password made of them is refused too."""

    password_facts = ()

    def validate_password(self, field):
        if len(field.data or "") < PASSWORD_MIN_LENGTH:
            return  # the Length validator already says so
        problem = password_problem(field.data, self.password_facts)
        if problem:
            raise ValidationError(problem.translated())


class SetPasswordForm(NewPassword, FlaskForm):
    password, confirm = _new_password_fields()


class ChangePasswordForm(NewPassword, FlaskForm):
    current = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired(REQUIRED)])
    password, confirm = _new_password_fields()
