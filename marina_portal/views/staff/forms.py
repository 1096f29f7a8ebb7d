"""The back office's forms: customer edit, invoice with lines, payment, cancellation, upload, import, settings."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    EmailField,
    FieldList,
    FormField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from marina_portal.billing import legal
from marina_portal.billing.invoicing import OFFICE_METHODS
from marina_portal.core.formats import parse_euros, parse_metres
from marina_portal.models import PaymentSchedule
from marina_portal.payments.monetico import key_problem
from marina_portal.sepa.bank_details import BankDetailsError, check_bic, check_creditor_id, check_iban
from marina_portal.views.forms import BoatSizes

REQUIRED = "Ce champ est obligatoire."
DATE_MESSAGE = "Saisissez une date valide."


KIND_LABELS = {
    "customers": "Clients",
    "boats": "Bateaux",
    "berths": "Postes",
    "contracts": "Contrats",
    "invoices": "Factures",
    "payments": "Règlements",
    "readings": "Relevés de compteurs",
}


def _choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _identifier(check, *args):
    try:
        return check(*args)
    except legal.IdentifierError as e:
        raise ValidationError(str(e)) from None


def _euros(field):
    cents = parse_euros(field.data)
    if cents is None:
        raise ValidationError("Saisissez un montant en euros, par exemple 1 520,00.")
    return cents


class CustomerForm(FlaskForm):
    last_name = StringField("Nom", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField("Prénom", filters=[_strip], validators=[Length(max=100)])
    street = StringField("Adresse", filters=[_strip], validators=[Length(max=200)])
    postcode = StringField("Code postal", filters=[_strip], validators=[Length(max=20)])
    town = StringField("Ville", filters=[_strip], validators=[Length(max=100)])
    country = StringField("Pays (code)", filters=[_strip], validators=[Length(max=2)])
    email = EmailField(
        "Adresse mail",
        filters=[_strip],
        validators=[Optional(), Email("Saisissez une adresse mail valide.", check_deliverability=False)],
    )
    phone = StringField("Téléphone", filters=[_strip], validators=[Length(max=40)])
    kind = SelectField("Client", choices=_choices(legal.CUSTOMER_KINDS.items()), default="individual")
    company_name = StringField(
        "Raison sociale", filters=[_strip], validators=[Length(max=150)], description="Professionnels : le nom facturé."
    )
    siren = StringField(
        "SIREN", filters=[_strip], validators=[Length(max=20)], description="Professionnels : 9 chiffres."
    )
    vat_number = StringField(
        "N° de TVA intracommunautaire", filters=[_strip], validators=[Length(max=20)], description="S'il en a un."
    )
    billing_email = EmailField(
        "Adresse mail de facturation",
        filters=[_strip],
        validators=[Optional(), Email("Saisissez une adresse mail valide.", check_deliverability=False)],
        description="Vide : l'adresse mail du client.",
    )

    def validate_company_name(self, field):
        if self.kind.data == "business" and not field.data:
            raise ValidationError("Indiquez la raison sociale du client professionnel.")

    def validate_siren(self, field):
        field.data = _identifier(legal.check_siren, field.data)
        if field.data and self.kind.data != "business":
            raise ValidationError("Un particulier n'a pas de SIREN : choisissez « Professionnel ».")

    def validate_vat_number(self, field):
        field.data = _identifier(legal.check_vat_number, field.data, "" if self.siren.errors else self.siren.data)
        if field.data and self.kind.data != "business":
            raise ValidationError("Un particulier n'a pas de numéro de TVA : choisissez « Professionnel ».")


VAT_RATES = [("2000", "20 %"), ("1000", "10 %"), ("550", "5,5 %"), ("210", "2,1 %"), ("0", "0 %")]


class LineForm(PlainForm):
    description = StringField("Désignation", filters=[_strip], validators=[Length(max=200)])
    quantity = StringField("Quantité", filters=[_strip], default="1", description="Jusqu'à 3 décimales : 312,5.")
    unit = StringField("Unité", filters=[_strip], validators=[Length(max=20)], description="Par exemple : nuit, kWh.")
    unit_price = StringField(
        "Prix unitaire HT", filters=[_strip], description="En euros, jusqu'à 4 décimales : 0,2316."
    )
    vat_rate = SelectField("TVA", choices=_choices(VAT_RATES), default="2000")


class InvoiceForm(FlaskForm):
    number = StringField(
        "N° Facture déjà attribué",
        filters=[_strip],
        validators=[Length(max=50)],
        description="Seulement pour une facture numérotée par un autre logiciel. Vide : un brouillon, "
        "numéroté quand vous l'émettez.",
    )
    issued_on = DateField("Date", validators=[DataRequired(DATE_MESSAGE)])
    due_on = DateField("Échéance", validators=[Optional()], description="Vide : selon le délai de paiement du port.")
    service_from = DateField("Prestation du", validators=[Optional()])
    service_to = DateField(
        "au", validators=[Optional()], description="La date ou la période de la prestation (vide : celle du contrat)."
    )
    label = StringField("Libellé", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=200)])
    contract = SelectField("Contrat concerné", validate_choice=False)
    lines = FieldList(FormField(LineForm), min_entries=4, max_entries=20)

    def validate_service_to(self, field):
        if field.data and self.service_from.data and field.data < self.service_from.data:
            raise ValidationError("La fin de la prestation précède son début.")

    def set_contracts(self, contracts):
        self.contract.choices = _choices(
            [("", "Aucun")] + [(str(c.id), f"{c.number} ({c.contract_type})") for c in contracts]
        )
        self._contract_ids = {str(c.id) for c in contracts}

    def validate_contract(self, field):
        if field.data and field.data not in self._contract_ids:
            raise ValidationError("Choisissez un contrat de ce client.")


class PaymentForm(FlaskForm):
    method = SelectField("Mode de règlement", choices=_choices(OFFICE_METHODS.items()), default="cheque")
    amount = StringField(
        "Montant", filters=[_strip], validators=[DataRequired(REQUIRED)], description="En euros, par exemple 100,00."
    )
    received_on = DateField("Reçu le", validators=[DataRequired(DATE_MESSAGE)])
    reference = StringField("Référence (n° de chèque, virement…)", filters=[_strip], validators=[Length(max=100)])

    def validate_amount(self, field):
        self.amount_cents = _euros(field)


CREDIT_MODES = [("whole", "Toute la facture (ce qui reste)"), ("lines", "Certaines lignes"), ("amount", "Un montant")]


class CreditNoteForm(FlaskForm):
    """Quantities per line come as `qty-<line id>` fields, read by the view against the invoice's lines."""

    mode = SelectField("Avoir sur", choices=_choices(CREDIT_MODES), default="whole", validate_choice=False)
    credit_amount = StringField(
        "Somme à créditer T.T.C", filters=[_strip], description="Pour un avoir d'un montant, en euros."
    )
    vat_rate = SelectField(
        "TVA du montant", choices=_choices(VAT_RATES), default="2000", description="Facture sans lignes seulement."
    )
    reason = TextAreaField(
        "Motif de l'avoir",
        filters=[_strip],
        validators=[DataRequired("Indiquez le motif de l'avoir."), Length(max=500)],
    )

    def validate_mode(self, field):
        if field.data not in dict(CREDIT_MODES):
            raise ValidationError("Choisissez : toute la facture, certaines lignes ou un montant.")

    def validate_credit_amount(self, field):
        self.amount_cents = None
        if self.mode.data == "amount":
            self.amount_cents = _euros(field)
            if self.amount_cents <= 0:
                raise ValidationError("Le montant de l'avoir doit être supérieur à zéro.")


class RefundForm(FlaskForm):
    refund_amount = StringField("Somme remboursée", filters=[_strip], validators=[DataRequired(REQUIRED)])
    paid_on = DateField("Remboursé le", validators=[DataRequired(DATE_MESSAGE)])
    refund_how = StringField(
        "Comment (virement, chèque n°…)", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=100)]
    )

    def validate_refund_amount(self, field):
        self.amount_cents = _euros(field)


class CancelPaymentForm(FlaskForm):
    reason = TextAreaField(
        "Motif de l'annulation",
        filters=[_strip],
        validators=[DataRequired("Indiquez le motif de l'annulation."), Length(max=500)],
    )


class UploadForm(FlaskForm):
    title = StringField("Titre", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=150)])
    category = StringField(
        "Catégorie",
        filters=[_strip],
        validators=[Length(max=80)],
        description="Par exemple : Guides, Règlement, Tarifs.",
    )
    customer_code = StringField(
        "Pour un seul client (code client ou adresse mail)",
        filters=[_strip],
        validators=[Length(max=200)],
        description="Laissez vide pour publier le document à tous les plaisanciers.",
    )
    file = FileField("Fichier (PDF, PNG, JPEG)")


class ImportForm(FlaskForm):
    kind = SelectField("Type de fichier", choices=_choices(KIND_LABELS.items()))
    file = FileField("Fichier CSV")


class PortSettingsForm(FlaskForm):
    name = StringField("Nom du port", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=150)])
    code = StringField(
        "Code du port",
        filters=[_strip],
        validators=[DataRequired(REQUIRED), Length(max=30)],
        description="L'adresse du portail imprimée dans le tutoriel (…/CODE).",
    )
    street = StringField("Adresse", filters=[_strip], validators=[Length(max=200)])
    postcode = StringField("Code postal", filters=[_strip], validators=[Length(max=20)])
    town = StringField("Ville", filters=[_strip], validators=[Length(max=100)])
    phone = StringField("Aide téléphonique", filters=[_strip], validators=[Length(max=40)])
    email = EmailField(
        "Aide numérique (adresse mail)",
        filters=[_strip],
        validators=[Optional(), Email("Saisissez une adresse mail valide.", check_deliverability=False)],
    )
    hours = StringField("Horaires", filters=[_strip], validators=[Length(max=200)])
    creditor_id = StringField("Identifiant créancier SEPA (ICS)", filters=[_strip], validators=[Length(max=35)])
    iban = StringField(
        "IBAN du compte du port",
        filters=[_strip],
        validators=[Length(max=50)],
        description="Le compte crédité par les prélèvements.",
    )
    bic = StringField(
        "BIC", filters=[_strip], validators=[Length(max=20)], description="Laissez vide pour le déduire de l'IBAN."
    )
    monetico_tpe = StringField("Terminal de paiement (TPE)", filters=[_strip], validators=[Length(max=20)])
    monetico_company = StringField("Code société", filters=[_strip], validators=[Length(max=50)])
    monetico_key = PasswordField(
        "Clé du terminal",
        filters=[_strip],
        validators=[Length(max=80)],
        description="Jamais réaffichée. Laissez vide pour garder la clé enregistrée.",
    )

    def validate_iban(self, field):
        if field.data:
            try:
                field.data = check_iban(field.data)
            except BankDetailsError as e:
                raise ValidationError(str(e)) from None  # staff pages are French only

    def validate_bic(self, field):
        if not self.iban.data:
            if field.data:
                raise ValidationError("Saisissez aussi l'IBAN du compte du port.")
            return
        if self.iban.errors:
            return  # the IBAN's own message is enough
        try:
            field.data = check_bic(field.data, self.iban.data)
        except BankDetailsError as e:
            raise ValidationError(str(e)) from None  # staff pages are French only

    def validate_creditor_id(self, field):
        if field.data:
            try:
                field.data = check_creditor_id(field.data)
            except BankDetailsError as e:
                raise ValidationError(str(e)) from None  # staff pages are French only

    def validate_monetico_key(self, field):
        problem = key_problem(field.data) if field.data else None
        if problem:
            raise ValidationError(problem)

    legal_name = StringField(
        "Raison sociale",
        filters=[_strip],
        validators=[Length(max=150)],
        description="Le nom légal imprimé sur les factures ; vide : le nom du port.",
    )
    legal_status = SelectField("Statut", choices=_choices(legal.LEGAL_STATUSES.items()))
    legal_form = StringField(
        "Forme juridique",
        filters=[_strip],
        validators=[Length(max=150)],
        description="Par exemple : Régie municipale dotée de l'autonomie financière, SAS, SEM.",
    )
    siren = StringField("SIREN", filters=[_strip], validators=[Length(max=20)], description="9 chiffres.")
    siret = StringField(
        "SIRET de l'établissement", filters=[_strip], validators=[Length(max=25)], description="14 chiffres."
    )
    vat_number = StringField(
        "N° de TVA intracommunautaire",
        filters=[_strip],
        validators=[Length(max=20)],
        description="Par exemple FR44732829320.",
    )
    share_capital = StringField(
        "Capital social", filters=[_strip], validators=[Length(max=40)], description="Sociétés : par exemple 37 000 €."
    )
    rcs = StringField(
        "Immatriculation RCS", filters=[_strip], validators=[Length(max=80)], description="Sociétés : RCS Perpignan."
    )
    vat_regime = SelectField("Régime de TVA", choices=_choices(legal.VAT_REGIMES.items()))
    payment_days = StringField(
        "Délai de paiement (jours)",
        description="L'échéance d'une facture émise : sa date plus ce délai (60 jours au plus).",
    )
    payment_terms = StringField(
        "Conditions de paiement",
        filters=[_strip],
        validators=[Length(max=300)],
        description="Imprimées sur les factures, par exemple : carte sur le portail, chèque, virement ou prélèvement.",
    )
    late_penalty = StringField(
        "Taux des pénalités de retard (clients professionnels)",
        filters=[_strip],
        validators=[Length(max=200)],
        description="Vide : le taux légal (BCE + 10 points). Au moins trois fois le taux d'intérêt légal.",
    )

    def validate_siren(self, field):
        field.data = _identifier(legal.check_siren, field.data)

    def validate_siret(self, field):
        field.data = _identifier(legal.check_siret, field.data, "" if self.siren.errors else self.siren.data)

    def validate_vat_number(self, field):
        field.data = _identifier(legal.check_vat_number, field.data, "" if self.siren.errors else self.siren.data)
        if field.data and not field.data.startswith("FR"):
            raise ValidationError("Le numéro de TVA du port est un numéro français (FR…).")

    def validate_payment_days(self, field):
        text = str(field.data if field.data is not None else "").strip()
        if not text.isdigit() or not 0 <= int(text) <= 60:
            raise ValidationError("Saisissez un nombre de jours entre 0 et 60.")
        field.data = int(text)


class PaymentScheduleForm(FlaskForm):
    # Any value reaches contracts.office, which refuses an unknown one with the choices in French.
    payment_schedule = SelectField(
        "Échéancier de paiement", choices=_choices((s.value, s.label) for s in PaymentSchedule), validate_choice=False
    )


class ContractForm(FlaskForm):
    number = StringField("N° de contrat", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=50)])
    contract_type = StringField(
        "Type de contrat", filters=[_strip], default="Annuel", validators=[DataRequired(REQUIRED), Length(max=40)]
    )
    boat = SelectField("Bateau", validate_choice=False)
    berth = SelectField("Poste", validate_choice=False)
    starts_on = DateField("Début", validators=[DataRequired(DATE_MESSAGE)])
    ends_on = DateField("Fin", validators=[DataRequired(DATE_MESSAGE)])
    price = StringField(
        "Prix T.T.C",
        filters=[_strip],
        validators=[DataRequired(REQUIRED)],
        description="En euros, par exemple 1 520,00.",
    )
    payment_terms = TextAreaField("Modalités de paiement", filters=[_strip], validators=[Length(max=1000)])

    def set_choices(self, boats, berths):
        self.boat.choices = _choices([("", "Aucun")] + [(str(b.id), b.name) for b in boats])
        self.berth.choices = _choices([("", "Aucun")] + [(str(b.id), b.code) for b in berths])
        self._allowed = ({str(b.id) for b in boats}, {str(b.id) for b in berths})

    def validate_boat(self, field):
        if field.data and field.data not in self._allowed[0]:
            raise ValidationError("Choisissez un bateau de ce client.")

    def validate_berth(self, field):
        if field.data and field.data not in self._allowed[1]:
            raise ValidationError("Choisissez un poste du port.")

    def validate_price(self, field):
        self.price_cents = _euros(field)

    def values(self):
        return {
            "number": self.number.data,
            "contract_type": self.contract_type.data,
            "boat": int(self.boat.data) if self.boat.data else None,
            "berth": int(self.berth.data) if self.berth.data else None,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "price_cents": self.price_cents,
            "payment_terms": self.payment_terms.data or "",
        }


class TermsForm(FlaskForm):
    contract_type = StringField(
        "Type de contrat", filters=[_strip], default="Annuel", validators=[DataRequired(REQUIRED), Length(max=40)]
    )
    body = TextAreaField(
        "Conditions",
        filters=[_strip],
        validators=[DataRequired(REQUIRED)],
        description="Le texte complet ; une nouvelle version ne change pas les contrats existants.",
    )


class StaffInviteForm(FlaskForm):
    email = EmailField(
        "Adresse mail",
        filters=[_strip],
        validators=[DataRequired(REQUIRED), Email("Saisissez une adresse mail valide.", check_deliverability=False)],
    )
    role = SelectField("Rôle", choices=_choices([("agent", "Agent"), ("admin", "Administrateur")]))


class StaffUpdateForm(FlaskForm):
    role = SelectField("Rôle", choices=_choices([("agent", "Agent"), ("admin", "Administrateur")]))
    enabled = SelectField("Compte", choices=_choices([("1", "Actif"), ("0", "Désactivé")]))


class NewCustomerForm(CustomerForm):
    code = StringField(
        "Code client",
        filters=[_strip],
        validators=[Length(max=40)],
        description="Le code du client dans votre logiciel, s'il en a un (les imports s'en servent).",
    )


def _metres(field):
    if not field.data:
        return 0
    value = parse_metres(field.data)
    if value is None:
        raise ValidationError("Saisissez une longueur en mètres, par exemple 9,50.")
    return value


class BoatForm(BoatSizes, FlaskForm):
    sizes_optional = True
    sizes_message = "Saisissez une longueur en mètres, par exemple 9,50."

    code = StringField(
        "Code bateau",
        filters=[_strip],
        validators=[Length(max=40)],
        description="Le code du bateau dans votre logiciel, s'il en a un.",
    )
    name = StringField("Nom du bateau", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=100)])
    registration = StringField("Immatriculation", filters=[_strip], validators=[Length(max=40)])
    boat_type = StringField(
        "Type", filters=[_strip], validators=[Length(max=60)], description="Par exemple : Voilier, Vedette."
    )
    length = StringField("Longueur (m)", filters=[_strip])
    beam = StringField("Largeur (m)", filters=[_strip])
    draught = StringField("Tirant d'eau (m)", filters=[_strip])

    def values(self):
        return {
            "code": self.code.data,
            "name": self.name.data,
            "registration": self.registration.data or "",
            "boat_type": self.boat_type.data or "",
            "length_cm": self.length_cm,
            "beam_cm": self.beam_cm,
            "draught_cm": self.draught_cm,
        }


class BerthForm(FlaskForm):
    code = StringField(
        "Poste",
        filters=[_strip],
        validators=[DataRequired(REQUIRED), Length(max=20)],
        description="Ponton et numéro, par exemple B-12.",
    )
    length = StringField("Longueur (m)", filters=[_strip])
    width = StringField("Largeur (m)", filters=[_strip])

    def validate_length(self, field):
        self.length_cm = _metres(field)

    def validate_width(self, field):
        self.width_cm = _metres(field)
