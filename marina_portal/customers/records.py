"""Finding customers and gathering everything the harbour office knows about one, in a fixed number of queries."""

from typing import Any

from flask import current_app
from limits import parse_many
from peewee import JOIN

from marina_portal.accounts import logins
from marina_portal.billing import statement
from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.extensions import limiter
from marina_portal.core.formats import folded
from marina_portal.models import (
    Berth,
    Boat,
    Contract,
    Customer,
    Invoice,
    Mandate,
    Payment,
    Port,
    SignatureEvidence,
    User,
)

PAGE_SIZE = 20
EDITABLE = (
    "last_name",
    "first_name",
    "street",
    "postcode",
    "town",
    "country",
    "email",
    "phone",
    "kind",
    "company_name",
    "siren",
    "vat_number",
    "billing_email",
)
EMAILS = ("email", "billing_email")  # normalised, None when empty


def search(port: Port, text: str = "", page: int = 1) -> tuple[list[Customer], int, int]:
    """(customers on that page, total matching, number of pages), by name, email, code, boat, berth or invoice."""
    query = Customer.select().where(Customer.port == port)
    text = (text or "").strip()
    if text:
        full = Customer.last_name.concat(" ").concat(Customer.first_name)
        reverse = Customer.first_name.concat(" ").concat(Customer.last_name)
        boats = Boat.select(Boat.customer).where(Boat.name.contains(text) | Boat.registration.contains(text))
        berths = Contract.select(Contract.customer).join(Berth).where(Berth.code.contains(text))
        invoices = Invoice.select(Invoice.customer).where(Invoice.number.contains(text))
        query = query.where(
            Customer.search_text.contains(folded(text))  # MÜLLER for « Müller », on SQLite and PostgreSQL alike
            | full.contains(text)
            | reverse.contains(text)
            | Customer.email.contains(text)
            | Customer.code.contains(text)
            | Customer.id.in_(boats)
            | Customer.id.in_(berths)
            | Customer.id.in_(invoices)
        )
    total = query.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = list(query.order_by(Customer.last_name, Customer.first_name, Customer.id).paginate(page, PAGE_SIZE))
    return rows, total, pages


def case_file(customer: Customer) -> dict[str, Any]:
    """Everything shown on the customer page: boats, contracts, invoices, payments, mandates, logins."""
    invoices = list(Invoice.with_paid().where(Invoice.customer == customer).order_by(Invoice.issued_on.desc()))
    contracts = list(
        Contract.select(Contract, Berth, Boat)
        .join(Berth, on=(Contract.berth == Berth.id), join_type=JOIN.LEFT_OUTER)
        .switch(Contract)
        .join(Boat, on=(Contract.boat == Boat.id), join_type=JOIN.LEFT_OUTER)
        .where(Contract.customer == customer)
        .order_by(Contract.starts_on.desc())
    )
    steps = {}
    if contracts:
        rows = (
            SignatureEvidence.select()
            .where(
                (SignatureEvidence.subject_type == "contract")
                & SignatureEvidence.subject_id.in_([c.id for c in contracts])
            )
            .order_by(SignatureEvidence.at)
        )
        for row in rows:
            steps.setdefault(row.subject_id, []).append(row)
    payments = list(
        Payment.select(Payment, Invoice)
        .join(Invoice)
        .where(Invoice.customer == customer)
        .order_by(Payment.received_on.desc(), Payment.id.desc())
    )
    return {
        "boats": list(customer.boats.order_by(Boat.name)),
        "contracts": contracts,
        "evidence": steps,
        "invoices": invoices,
        "total_cents": sum(i.total_cents for i in invoices if not i.is_draft),
        "paid_cents": sum(i.paid_cents for i in invoices if not i.is_draft),
        "credit_notes": statement.credit_notes_of(customer.id),
        "payments": payments,
        "mandates": list(customer.mandates.order_by(Mandate.created_at.desc())),
        "logins": list(User.select().where(User.customer == customer)),
        "history": audit.entries_for("customer", customer.id, limit=20),
    }


def update(user: User, customer: Customer, values: dict[str, Any], ip: str = "") -> bool:
    """Change the editable facts of a customer; the audit keeps both versions."""
    before = audit.snapshot(customer, EDITABLE)
    for name in EDITABLE:
        if name in values:
            value = (values[name] or "").strip()
            if name in EMAILS:
                value = logins.normalise_email(value) or None
            setattr(customer, name, value)
    return audit.save_if_changed(user, "customer.update", customer, before, audit.snapshot(customer, EDITABLE), ip)


def send_invitation(user: User, customer: Customer, ip: str = "") -> bool:
    """Mail the case-1 first-login link to the address on file; False when there is none."""
    if not customer.email:
        return False
    logins.request_password_link(customer.email)
    audit.record(user, "customer.invite", customer, None, {"email": customer.email}, ip)
    return True


# The rate limits counted per email typed (views/accounts.py, views/staff/session.py): the scope of each
# count (the shared login budget, or a mail-sending page's endpoint) and the name of its setting.
MAIL_SENDING = ("auth.first_login", "auth.forgot_password", "auth.register_contract")
LIMITED = {
    "login": "LOGIN_LIMIT",
    **{endpoint: "MAIL_LIMIT" for endpoint in MAIL_SENDING},
}


def unlock(user: User, customer: Customer, ip: str = "") -> list[str]:
    """Lift the per-email rate limits on the customer's logins, after a boater locked themselves out."""

    emails = {login.email for login in User.select(User.email).where(User.customer == customer)}
    if customer.email:
        emails.add(customer.email)
    for email in emails:
        for scope, setting in LIMITED.items():
            for item in parse_many(current_app.config[setting]):
                limiter.limiter.clear(item, f"target:{email}", scope)
    audit.record(user, "customer.unlock", customer, None, {"emails": sorted(emails)}, ip)
    return sorted(emails)


def create(user: User, port: Port, code: str | None, values: dict[str, Any], ip: str = "") -> Customer | None:
    """A customer typed in at the harbour office; the code, when given, is the one later imports match on."""
    code = (code or "").strip() or None
    if code and Customer.select().where((Customer.port == port) & (Customer.code == code)).exists():
        return None
    customer = Customer(port=port, code=code)
    for name in EDITABLE:
        value = (values.get(name) or "").strip()
        setattr(customer, name, (logins.normalise_email(value) or None) if name in EMAILS else value)
    customer.country = customer.country or "FR"
    customer.kind = customer.kind or "individual"
    with database.atomic():
        customer.save()
        audit.record(user, "customer.create", customer, None, audit.snapshot(customer, ("code",) + EDITABLE), ip)
    return customer
