"""Boater access: passwords, the mailed links of registration cases 1 and 2 and of a forgotten password."""

import datetime as dt

from peewee import JOIN, fn
from werkzeug.security import check_password_hash, generate_password_hash

from marina_portal.accounts import passwords
from marina_portal.core import tokens
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.refusals import Refusal
from marina_portal.core.urls import external_url
from marina_portal.models import Customer, Invoice, InvoiceStatus, Port, User, utcnow

PASSWORD_MIN_LENGTH = passwords.MIN_LENGTH
# Checked against when the email is unknown, so a login takes the same time either way. The hash of a
# forgotten random password, written out rather than computed at import: scrypt's 32 MiB working memory
# would otherwise raise every worker's peak memory before it serves anything.
_DUMMY_HASH = (
    "scrypt:32768:8:1$B6rciUII79MjeEMf$"
    "1b0c994a1f2c5a9bd45edf3bb3a32f7723a26aa6cba7118f4c4063f2821a5422"
    "f0ded5d16d44064a9b2effddb36aa39f052fcccde4a886e03c66ca51576e64b4"
)

FIRST_LOGIN, REGISTER, RESET = "first-login", "register", "password-reset"
PURPOSES = (FIRST_LOGIN, REGISTER, RESET)


class LinkRefused(Refusal):
    """A mailed link that can't be used, with the words to show."""


LINK_MESSAGES = {
    "expired": N_("Ce lien a expiré (il est valable 24 heures). Demandez-en un nouveau depuis la page de connexion."),
    "used": N_("Ce lien a déjà été utilisé. Connectez-vous, ou demandez un nouveau lien depuis la page de connexion."),
    "invalid": N_("Ce lien n'est pas valide. Copiez l'adresse complète depuis le mail, ou demandez un nouveau lien."),
}


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def authenticate(email: str | None, password: str) -> User | None:
    user = User.get_or_none(User.email == normalise_email(email))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_enabled:
        return None
    return user


def record_login(user: User) -> None:
    User.update(last_login_at=utcnow()).where(User.id == user.id).execute()


def request_password_link(email: str) -> None:
    """Case 1 and forgotten password: mail a link if the address is known; say nothing either way."""
    email = normalise_email(email)
    user = User.get_or_none(User.email == email)
    if user is not None and user.is_enabled:
        payload = {"u": user.id, "v": user.session_version}
        _mail_link(email, RESET, payload, "password_reset", language=user.language)
        return
    customer = (
        Customer.select()
        .join(User, JOIN.LEFT_OUTER, on=(User.customer == Customer.id))
        .where((fn.LOWER(Customer.email) == email) & User.id.is_null())
        .order_by(Customer.id)
        .first()
    )
    if customer is not None:
        _mail_link(
            email,
            FIRST_LOGIN,
            {"c": customer.id, "e": email},
            "first_login",
            customer=customer,
            language=customer.language,
        )


def request_registration(email: str, invoice_number: str, invoice_date: dt.date, amount_cents: int) -> bool:
    """Case 2: True and a link mailed when the invoice facts match a customer without a login."""
    email = normalise_email(email)
    if invoice_date is None or amount_cents is None or invoice_date.year != paris_today().year:
        return False
    invoice = (
        Invoice.select(Invoice, Customer)
        .join(Customer)
        .where(
            (Invoice.number == (invoice_number or "").strip())
            & (Invoice.status == InvoiceStatus.ISSUED)
            & (Invoice.issued_on == invoice_date)
        )
        .first()
    )
    if invoice is None or invoice.total_cents != amount_cents:
        return False
    if User.select().where(User.customer == invoice.customer_id).exists():
        return False
    customer = invoice.customer
    if customer.email:
        # Knowing an invoice proves nothing about the address typed: the office already has one for this
        # customer, so the link goes there (case 1), and the page says so without naming it.
        on_file = normalise_email(customer.email)
        payload = {"c": customer.id, "e": on_file}
        _mail_link(on_file, FIRST_LOGIN, payload, "first_login", customer=customer, language=customer.language)
        return True
    if User.select().where(User.email == email).exists():
        send_email(email, N_("Votre compte existe déjà"), "already_registered", login_url=external_url("auth.login"))
        return True
    _mail_link(email, REGISTER, {"c": invoice.customer_id, "e": email}, "register", customer=invoice.customer)
    return True


def _mail_link(email, purpose, payload, template, language=None, **context):
    token = tokens.make(purpose, payload)
    link = external_url("auth.set_password", purpose=purpose, token=token)
    subjects = {
        FIRST_LOGIN: N_("Votre accès au portail du port"),
        REGISTER: N_("Confirmez votre inscription au portail du port"),
        RESET: N_("Choisir un nouveau mot de passe"),
    }
    send_email(email, subjects[purpose], template, language=language, link=link, login=email, **context)


def read_link(purpose: str, token: str) -> str:
    """The login (email) a valid link is for, or LinkRefused with the reason in words."""
    if purpose not in PURPOSES:
        raise LinkRefused(LINK_MESSAGES["invalid"])
    try:
        payload = tokens.read(purpose, token)
    except tokens.TokenError as e:
        raise LinkRefused(LINK_MESSAGES[e.reason]) from None
    return _check_payload(purpose, payload)


def _check_payload(purpose, payload):
    if purpose == RESET:
        user = User.get_or_none(User.id == payload.get("u"))
        if user is None or user.session_version != payload.get("v"):
            raise LinkRefused(LINK_MESSAGES["used"])
        return user.email
    customer = Customer.get_or_none(Customer.id == payload.get("c"))
    taken = User.select().where((User.customer == payload.get("c")) | (User.email == payload.get("e")))
    if customer is None or taken.exists():
        raise LinkRefused(LINK_MESSAGES["used"])
    return payload["e"]


def set_password_from_link(purpose: str, token: str, password: str) -> User:
    """Use the link once: set the password (creating the login for cases 1 and 2); return the user."""
    email = read_link(purpose, token)
    payload = tokens.read(purpose, token)
    with database.atomic():
        try:
            tokens.consume(token)
        except tokens.TokenError:
            raise LinkRefused(LINK_MESSAGES["used"]) from None
        if purpose == RESET:
            user = User.get(User.id == payload["u"])
            user.password_hash = hash_password(password)
            user.session_version += 1
            user.save()
        else:
            customer = Customer.get_by_id(payload["c"])
            if not customer.email:
                customer.email = email
                customer.save()
            user = User.create(
                email=email, password_hash=hash_password(password), customer=customer, language=customer.language
            )
    if purpose == RESET:
        tell_password_changed(user)
    if purpose == REGISTER:
        _tell_the_port(customer, email)
    return user


def _tell_the_port(customer, email):
    """Case 2 gave a customer an address the office did not know: the office hears of it, to check it."""
    port = customer.port
    if port.email:
        send_email(
            port.email,
            N_("Nouvelle inscription par facture : %(name)s"),
            "registration_used",
            language="fr",
            subject_fields={"name": customer.full_name},
            port=port,
            customer=customer,
            login=email,
            link=external_url("staff.customer", customer_id=customer.id),
        )


def change_password(user: User, current: str, new: str) -> User | None:
    """The updated user when `current` was right (every other session ends), else None."""
    if not check_password_hash(user.password_hash, current or ""):
        return None
    User.update(password_hash=hash_password(new), session_version=User.session_version + 1).where(
        User.id == user.id
    ).execute()
    tell_password_changed(user)
    return User.get_by_id(user.id)


def tell_password_changed(user):
    """Mail the login that its password changed, so that a change nobody asked for is noticed."""
    send_email(
        user.email,
        N_("Votre mot de passe a été modifié"),
        "password_changed",
        language=user.language,
        login=user.email,
        changed_at=utcnow(),
        port=Port.current(),
        link=external_url("auth.login"),
    )


def create_staff(email, password, role="admin"):
    return User.create(email=normalise_email(email), password_hash=hash_password(password), role=role)


def password_problem(password, facts=()):
    """A passwords.WeakPassword saying why a new password is refused and what would be better, else None.
    `facts`: what a guesser knows of its owner (login email, names); the port's name is added here."""
    port = Port.current()
    return passwords.weakness(password, [*facts, *((port.name, port.code) if port else ())])


def facts_for(email):
    """The login email and, when it belongs to a customer, their names: words a password must not lean on."""
    email = normalise_email(email)
    user = User.get_or_none(User.email == email)
    customer = (
        user.customer
        if user is not None and user.customer_id
        else Customer.select().where(fn.LOWER(Customer.email) == email).first()
    )
    names = (customer.last_name, customer.first_name) if customer is not None else ()
    return [email, *names]
