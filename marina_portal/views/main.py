"""The home page (login when anonymous), the port-code address from the tutorial, and a health check."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.customers import next_steps
from marina_portal.views.accounts import safe_next
from marina_portal.views.forms import EmptyForm, LoginForm
from marina_portal.views.shell import current_port, set_language

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("auth/login.html", form=LoginForm())
    if current_user.is_staff:
        return redirect(url_for("staff.dashboard"))
    home = next_steps.for_boater(current_user, current_port()) if current_user.customer_id else None
    return render_template("main/home.html", home=home)


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
