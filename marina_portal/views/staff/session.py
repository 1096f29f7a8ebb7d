"""The staff login page: only agent and admin accounts get in here; boaters are refused."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.accounts import logins
from marina_portal.views.accounts import _start_session, login_limits, safe_next
from marina_portal.views.forms import LoginForm
from marina_portal.views.staff.frame import bp


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(url_for("staff.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = logins.authenticate(form.email.data, form.password.data)
        if user is not None and user.is_staff:
            _start_session(user)
            return redirect(safe_next(request.args.get("next")) or url_for("staff.dashboard"), code=303)
        form.password.errors.append("Login ou mot de passe incorrect, ou compte qui n'est pas de la capitainerie.")
    return render_template("staff/login.html", form=form)
