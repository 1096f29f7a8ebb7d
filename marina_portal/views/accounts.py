"""Login, logout, first-login and registration links, forgotten and changed passwords."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marina_portal.accounts import logins, sessions, tasks
from marina_portal.core.extensions import limiter
from marina_portal.core.i18n import DEFAULT, select_locale
from marina_portal.views.forms import (
    ChangePasswordForm,
    EmailForm,
    EmptyForm,
    LoginForm,
    RegisterContractForm,
    SetPasswordForm,
)
from marina_portal.views.shell import set_language

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["LOGIN_LIMIT"]


def _mail_limit():
    return current_app.config["MAIL_LIMIT"]


def _target():
    return "target:" + logins.normalise_email(request.form.get("email"))


def per_ip_and_target(limit):
    """Rate-limit POSTs both per client address and per email typed, so neither can be hammered."""

    def decorate(view):
        view = limiter.limit(limit, methods=["POST"], key_func=_target)(view)
        return limiter.limit(limit, methods=["POST"])(view)

    return decorate


LOGIN_SCOPE = "login"  # the boaters' and the staff's login pages draw on one budget per account


def login_limits(view):
    """Rate-limit login POSTs per account typed and per client address, one budget shared by /login and
    /staff/login: alternating the two pages gives a guesser nothing more."""
    view = limiter.shared_limit(_login_limit, scope=LOGIN_SCOPE, methods=["POST"], key_func=_target)(view)
    return limiter.shared_limit(_login_limit, scope=LOGIN_SCOPE + "-address", methods=["POST"])(view)


def safe_next(target):
    """Follow `next` only to a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _start_session(user, remember=False):
    """A fresh session at login (nothing carried over from before), recorded on the server."""
    language = select_locale()  # this visit's: chosen in the footer, or the browser's (en-GB reads English)
    session.clear()
    user.login_session_id = sessions.open_for(user, remember).id
    lifetime = sessions.cookie_lifetime(user, remember)
    session.permanent = lifetime is not None  # else the browser forgets the cookie when it closes
    login_user(user)
    logins.record_login(user)
    if user.language == DEFAULT and language != DEFAULT:
        set_language(language, user)  # a boater who never chose keeps the language they logged in with


def _end_session():
    sessions.end(getattr(current_user, "login_session_id", None))
    logout_user()
    session.clear()


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = logins.authenticate(form.email.data, form.password.data)
        if user is not None:
            target = safe_next(request.args.get("next"))
            _start_session(user, remember=form.remember.data)
            return redirect(target or url_for("main.home"), code=303)
        form.password.errors.append(_("Login ou mot de passe incorrect."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if EmptyForm().validate_on_submit():
        _end_session()
        flash(_("Vous êtes déconnecté."), "success")
    return redirect(url_for("main.home"), code=303)


@bp.route("/first-login", methods=["POST"])
@per_ip_and_target(_mail_limit)
def first_login():
    """Case 1: the boater typed their email as Login and asked for a link. Same answer either way."""
    form = EmailForm()
    if not form.validate_on_submit():
        return render_template(
            "auth/login.html",
            form=LoginForm(formdata=None, email=form.email.data),
            first_login_errors=form.email.errors,
        ), 200
    tasks.mail_password_link(logins.normalise_email(form.email.data))
    return redirect(url_for("auth.link_sent"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@per_ip_and_target(_mail_limit)
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        tasks.mail_password_link(logins.normalise_email(form.email.data))
        return redirect(url_for("auth.link_sent"), code=303)
    return render_template("auth/forgot.html", form=form)


@bp.route("/link-sent")
def link_sent():
    return render_template("auth/link_sent.html")


@bp.route("/register")
def register():
    return render_template("auth/register_choice.html")


def _invoice_typed():
    return "invoice:" + "".join((request.form.get("invoice_number") or "").split()).upper()


def _refused(response):
    return response.status_code != 303  # only wrong guesses count: a recognised invoice leaves the page


@bp.route("/register/contract", methods=["GET", "POST"])
@per_ip_and_target(_mail_limit)
@limiter.limit(
    lambda: current_app.config["REGISTER_INVOICE_LIMIT"],
    methods=["POST"],
    key_func=_invoice_typed,
    deduct_when=_refused,
)
@limiter.limit(
    lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"], key_func=lambda: "everyone", deduct_when=_refused
)
def register_contract():
    """Case 2: prove a contract with one of this year's invoices; the link goes to the email typed."""
    form = RegisterContractForm()
    refused = False
    if form.validate_on_submit():
        if logins.request_registration(form.email.data, form.invoice_number.data, form.parsed_date, form.parsed_amount):
            return redirect(url_for("auth.registration_sent"), code=303)
        refused = True
    return render_template("auth/register_contract.html", form=form, refused=refused)


@bp.route("/register/sent")
def registration_sent():
    return render_template("auth/registration_sent.html")


@bp.route("/password/<purpose>/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password(purpose, token):
    try:
        login = logins.read_link(purpose, token)
    except logins.LinkRefused as refusal:
        return render_template("auth/link_refused.html", message=str(refusal)), 410
    form = SetPasswordForm()
    form.password_facts = logins.facts_for(login)
    if form.validate_on_submit():
        try:
            user = logins.set_password_from_link(purpose, token, form.password.data)
        except logins.LinkRefused as refusal:
            return render_template("auth/link_refused.html", message=str(refusal)), 410
        _start_session(user)
        flash(_("Votre mot de passe est enregistré. Bienvenue sur le portail."), "success")
        return redirect(url_for("main.home"), code=303)
    return render_template("auth/set_password.html", form=form, login=login, purpose=purpose)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    form.password_facts = logins.facts_for(current_user.email)
    if form.validate_on_submit():
        user = logins.change_password(current_user, form.current.data, form.password.data)
        if user is not None:
            _start_session(user)
            flash(_("Votre mot de passe a été changé. Vos autres sessions ont été fermées."), "success")
            return redirect(url_for("main.home"), code=303)
        form.current.errors.append(_("Le mot de passe actuel n'est pas le bon."))
    return render_template("auth/change_password.html", form=form)
