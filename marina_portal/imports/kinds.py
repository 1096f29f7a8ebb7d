"""The CSV columns of each import kind (customers, boats, berths, contracts, invoices, payments) and their rules.

docs/import.md documents the same columns for the harbour office; keep both in step.
"""

import dataclasses
import re
from dataclasses import dataclass
from types import SimpleNamespace

from marina_portal.billing import absence_credits, legal
from marina_portal.contracts import berth_rules
from marina_portal.core.formats import parse_euros, parse_french_date, parse_metres
from marina_portal.core.refusals import Refusal
from marina_portal.imports.readings import Readings
from marina_portal.models import (
    Berth,
    Boat,
    Contract,
    ContractStatus,
    ContractTerms,
    Customer,
    Invoice,
    Payment,
    utcnow,
)


class Invalid(Refusal, ValueError):
    """A cell (or a line) that can't be imported, with the reason in words."""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text(max_length=200):
    def parse(raw):
        if _CONTROL.search(raw):
            raise Invalid("caractère de contrôle interdit (fichier abîmé ou binaire ?)")
        if len(raw) > max_length:
            raise Invalid(f"texte trop long ({len(raw)} caractères, {max_length} au plus)")
        return raw

    return parse


def upper_text(max_length):
    base = text(max_length)
    return lambda raw: base(raw).upper()


def date(raw):
    value = parse_french_date(raw)
    if value is None:
        raise Invalid(f"date illisible « {raw} » (JJ/MM/AAAA attendu)")
    return value


def euros(raw):
    value = parse_euros(raw)
    if value is None:
        raise Invalid(f"montant illisible « {raw} » (par exemple 1520,00)")
    return value


def metres(raw):
    value = parse_metres(raw)
    if value is None:
        raise Invalid(f"longueur illisible « {raw} » (en mètres, par exemple 9,50)")
    return value


_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")


def email(raw):
    if not _EMAIL.match(raw):
        raise Invalid(f"adresse mail invalide « {raw} »")
    return raw.lower()


def choice(mapping):
    def parse(raw):
        key = raw.strip().lower()
        if key not in mapping:
            raise Invalid(f"valeur « {raw} » inconnue (attendu : {', '.join(sorted(set(mapping)))})")
        return mapping[key]

    return parse


@dataclass
class Column:
    name: str
    field: str = None  # the model field it fills; None for a reference resolved by the kind
    parse: object = dataclasses.field(default_factory=text)
    required: bool = False


def _code():
    return Column("code", "code", text(40), True)


class Kind:
    """Base: one model, matched on `code` within the port; subclasses add references."""

    model = None
    columns = ()
    defaults = {}

    def key(self, fields):
        return fields["code"]

    def existing_query(self, port):
        return self.model.select().where(self.model.port == port)

    def load_context(self, port):
        context = SimpleNamespace(port=port)
        context.existing = {row["code"]: row for row in self.existing_query(port).dicts() if row["code"]}
        self.load_references(context)
        return context

    def load_references(self, context):
        pass

    def resolve(self, context, values):
        fields = {}
        for column in self.columns:
            if column.field and column.name in values:
                value = values[column.name]
                fields[column.field] = self.defaults.get(column.field, "") if value is None else value
        return fields

    def for_create(self, context, fields):
        return dict(fields, port=context.port.id)

    def for_update(self, current, changes):
        return changes

    def after_apply(self, user, records, ip=""):
        """Work that follows the written rows, in the same transaction; the number of things it did."""
        return 0


def _codes(query):
    return {code: row_id for code, row_id in query.tuples() if code}


def _lookup(mapping, code, column, what):
    if code is None:
        return None
    if code not in mapping:
        raise Invalid(f"{column}: {what} « {code} » introuvable (importez-le d'abord)")
    return mapping[code]


def _unique_number(context, fields, what):
    """The number is free, or already carried by the row with the same code."""
    number, code = fields["number"], fields["code"]
    owner = context.numbers.get(number, code)
    if owner != code:
        raise Invalid(f"number: numéro « {number} » déjà utilisé par {what} de code « {owner or 'sans code'} »")
    context.numbers[number] = code


def identifier(check):
    def parse(raw):
        try:
            return check(raw)
        except legal.IdentifierError as e:
            raise Invalid(f"{e} (« {raw} »)") from None

    return parse


class Customers(Kind):
    model = Customer
    kinds = {
        "particulier": "individual",
        "individual": "individual",
        "professionnel": "business",
        "entreprise": "business",
        "business": "business",
    }
    columns = (
        _code(),
        Column("last_name", "last_name", upper_text(100), True),
        Column("first_name", "first_name", text(100)),
        Column("street", "street"),
        Column("postcode", "postcode", text(20)),
        Column("town", "town", upper_text(100)),
        Column("country", "country", upper_text(2)),
        Column("email", "email", email),
        Column("phone", "phone", text(40)),
        Column("language", "language", text(5)),
        Column("kind", "kind", choice(kinds)),
        Column("company_name", "company_name", text(150)),
        Column("siren", "siren", identifier(legal.check_siren)),
        Column("vat_number", "vat_number", identifier(legal.check_vat_number)),
        Column("billing_email", "billing_email", email),
    )
    defaults = {"email": None, "billing_email": None, "country": "FR", "language": "fr", "kind": "individual"}

    def resolve(self, context, values):
        fields = super().resolve(context, values)
        business = fields.get("kind") == "business" or (
            "kind" not in fields and context.existing.get(fields["code"], {}).get("kind") == "business"
        )
        if not business and (fields.get("siren") or fields.get("vat_number")):
            raise Invalid("kind: un SIREN ou un numéro de TVA est celui d'un professionnel (kind « professionnel »)")
        siren, vat = fields.get("siren"), fields.get("vat_number") or ""
        if siren and vat.startswith("FR") and vat[-9:] != siren:
            raise Invalid("vat_number: ce numéro de TVA ne correspond pas au SIREN")
        return fields


class Berths(Kind):
    model = Berth
    columns = (_code(), Column("length_m", "length_cm", metres), Column("width_m", "width_cm", metres))
    defaults = {"length_cm": 0, "width_cm": 0}


class Boats(Kind):
    model = Boat
    columns = (
        _code(),
        Column("customer_code", None, text(40), True),
        Column("name", "name", text(100), True),
        Column("registration", "registration", text(40)),
        Column("boat_type", "boat_type", text(60)),
        Column("length_m", "length_cm", metres),
        Column("beam_m", "beam_cm", metres),
        Column("draught_m", "draught_cm", metres),
    )
    defaults = {"length_cm": 0, "beam_cm": 0, "draught_cm": 0}

    def existing_query(self, port):
        return Boat.select(Boat).join(Customer).where(Customer.port == port)

    def load_references(self, context):
        context.customers = _codes(Customer.select(Customer.code, Customer.id).where(Customer.port == context.port))

    def resolve(self, context, values):
        fields = super().resolve(context, values)
        fields["customer"] = _lookup(context.customers, values["customer_code"], "customer_code", "client")
        return fields

    def for_create(self, context, fields):
        return fields


class Contracts(Kind):
    model = Contract
    statuses = {
        "brouillon": "draft",
        "draft": "draft",
        "envoyé": "sent",
        "envoye": "sent",
        "sent": "sent",
        "signé": "signed",
        "signe": "signed",
        "signed": "signed",
        "annulé": "cancelled",
        "annule": "cancelled",
        "cancelled": "cancelled",
    }
    columns = (
        _code(),
        Column("number", "number", text(50), True),
        Column("customer_code", None, text(40), True),
        Column("boat_code", None, text(40)),
        Column("berth_code", None, text(40)),
        Column("contract_type", "contract_type", text(40)),
        Column("starts_on", "starts_on", date, True),
        Column("ends_on", "ends_on", date, True),
        Column("price", "price_cents", euros),
        Column("status", "status", choice(statuses)),
    )
    defaults = {"contract_type": "Annuel", "price_cents": 0, "status": ContractStatus.DRAFT}

    def load_references(self, context):
        port = context.port
        context.customers = _codes(Customer.select(Customer.code, Customer.id).where(Customer.port == port))
        context.boats = {
            code: (row_id, owner)
            for code, row_id, owner in Boat.select(Boat.code, Boat.id, Boat.customer)
            .join(Customer)
            .where(Customer.port == port)
            .tuples()
            if code
        }
        context.berths = _codes(Berth.select(Berth.code, Berth.id).where(Berth.port == port))
        context.numbers = {
            n: c for n, c in Contract.select(Contract.number, Contract.code).where(Contract.port == port).tuples()
        }
        context.contract_ids = _codes(Contract.select(Contract.code, Contract.id).where(Contract.port == port))
        context.terms = {}
        context.berth_periods = []  # (berth, starts_on, ends_on, code) of this file's lines so far

    def resolve(self, context, values):
        fields = super().resolve(context, values)
        fields["customer"] = _lookup(context.customers, values["customer_code"], "customer_code", "client")
        if "boat_code" in values:
            boat = _lookup(context.boats, values["boat_code"], "boat_code", "bateau")
            if boat is not None and boat[1] != fields["customer"]:
                raise Invalid("boat_code: ce bateau appartient à un autre client")
            fields["boat"] = boat[0] if boat else None
        if "berth_code" in values:
            fields["berth"] = _lookup(context.berths, values["berth_code"], "berth_code", "poste")
        if fields["ends_on"] < fields["starts_on"]:
            raise Invalid("ends_on: la fin précède le début")
        _unique_number(context, fields, "le contrat")
        _berth_free(context, fields)
        return fields

    def for_create(self, context, fields):
        kind = fields.get("contract_type") or "Annuel"
        if kind not in context.terms:
            terms = ContractTerms.latest(context.port, kind)
            context.terms[kind] = terms.id if terms else None
        return dict(fields, port=context.port.id, terms=context.terms[kind])

    def for_update(self, current, changes):
        return dict(changes, revision=current["revision"] + 1, updated_at=utcnow())


def _berth_free(context, fields):
    """The one berth rule (free for the period, big enough for the boat), against the database and this file."""
    berth = fields.get("berth")
    if not berth or fields.get("status", "draft") == "cancelled":
        return
    code = fields.get("code")
    try:
        berth_rules.check(
            berth, fields.get("boat"), fields["starts_on"], fields["ends_on"], context.contract_ids.get(code)
        )
    except berth_rules.BerthRefused as refusal:
        raise Invalid(f"berth_code: {refusal}") from None
    for other, starts_on, ends_on, other_code in context.berth_periods:
        if other == berth and starts_on <= fields["ends_on"] and ends_on >= fields["starts_on"] and other_code != code:
            raise Invalid(
                "berth_code: ce poste est déjà attribué pour cette période par une ligne précédente du fichier"
            )
    context.berth_periods.append((berth, fields["starts_on"], fields["ends_on"], code))


class Invoices(Kind):
    model = Invoice
    columns = (
        _code(),
        Column("number", "number", text(50), True),
        Column("customer_code", None, text(40), True),
        Column("contract_code", None, text(40)),
        Column("issued_on", "issued_on", date, True),
        Column("due_on", "due_on", date),
        Column("label", "label", text(200)),
        Column("total", "total_cents", euros, True),
    )
    defaults = {"due_on": None}

    def load_references(self, context):
        port = context.port
        context.customers = _codes(Customer.select(Customer.code, Customer.id).where(Customer.port == port))
        context.contracts = _codes(Contract.select(Contract.code, Contract.id).where(Contract.port == port))
        context.numbers = {
            n: c for n, c in Invoice.select(Invoice.number, Invoice.code).where(Invoice.port == port).tuples()
        }

    def resolve(self, context, values):
        fields = super().resolve(context, values)
        fields["customer"] = _lookup(context.customers, values["customer_code"], "customer_code", "client")
        if "contract_code" in values:
            fields["contract"] = _lookup(context.contracts, values["contract_code"], "contract_code", "contrat")
        _unique_number(context, fields, "la facture")
        current = context.existing.get(fields["code"])
        if current is not None and any(current.get(name) != value for name, value in fields.items()):
            raise Invalid(
                f"code: la facture {current['number']} est déjà enregistrée et une facture émise ne se modifie plus "
                "(corrigez-la par un avoir)"
            )
        return fields

    def after_apply(self, user, records, ip=""):
        """Absence credits go to the new invoices that are next for them, in one pass for the whole file."""
        return len(absence_credits.apply({fields["customer"] for _, fields in records}, user, ip))


class Payments(Kind):
    model = Payment
    methods = {
        "cheque": "cheque",
        "chèque": "cheque",
        "transfer": "transfer",
        "virement": "transfer",
        "cash": "cash",
        "espèces": "cash",
        "especes": "cash",
        "card": "card",
        "carte": "card",
        "direct_debit": "direct_debit",
        "prélèvement": "direct_debit",
        "prelevement": "direct_debit",
        "credit": "credit",
        "avoir": "credit",
    }
    columns = (
        _code(),
        Column("invoice_code", None, text(40), True),
        Column("method", "method", choice(methods), True),
        Column("amount", "amount_cents", euros, True),
        Column("received_on", "received_on", date, True),
        Column("reference", "reference", text(100)),
    )

    def existing_query(self, port):
        return Payment.select(Payment).join(Invoice).where(Invoice.port == port)

    def load_references(self, context):
        context.invoices = _codes(Invoice.select(Invoice.code, Invoice.id).where(Invoice.port == context.port))

    def resolve(self, context, values):
        fields = super().resolve(context, values)
        if fields["amount_cents"] <= 0:
            raise Invalid("amount: le montant doit être supérieur à zéro")
        fields["invoice"] = _lookup(context.invoices, values["invoice_code"], "invoice_code", "facture")
        return fields

    def for_create(self, context, fields):
        return fields


KINDS = {
    "customers": Customers(),
    "boats": Boats(),
    "berths": Berths(),
    "contracts": Contracts(),
    "invoices": Invoices(),
    "payments": Payments(),
    "readings": Readings(),
}
