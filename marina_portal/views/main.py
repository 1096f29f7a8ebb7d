"""The home page (login when anonymous), the port-code address from the tutorial, and a health check."""

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from marina_portal.core.i18n import LANGUAGES
from marina_portal.models import Customer, User
from marina_portal.views.accounts import safe_next
from marina_portal.views.forms import EmptyForm, LoginForm
from marina_portal.views.shell import current_port

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("auth/login.html", form=LoginForm())
    if current_user.is_staff:
        return redirect(url_for("staff.dashboard"))
    return render_template("main/home.html")


@bp.route("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/language", methods=["POST"])
def language():
    """The language switch in the footer; works as a plain form."""
    if EmptyForm().validate_on_submit():
        set_language(request.form.get("language"), current_user)
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"), code=303)


@bp.route("/<code>")
def port_address(code):
    """The address printed in the tutorial (…/STEMARIE66) leads to the home page."""
    port = current_port()
    if port is None or code.upper() != port.code.upper():
        abort(404)
    return redirect(url_for("main.home"))


def set_language(language, user=None):
    """Remember a language for this browser and, when logged in, for the boater (their mails too)."""
    if language not in LANGUAGES:
        return False
    session["lang"] = language
    if user is not None and user.is_authenticated:
        User.update(language=language).where(User.id == user.id).execute()
        if user.customer_id:
            Customer.update(language=language).where(Customer.id == user.customer_id).execute()
    return True
