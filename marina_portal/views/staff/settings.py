"""Port settings, for the administrator only."""

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from marina_portal.billing import legal
from marina_portal.port import settings
from marina_portal.views.access import admin_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.forms import PortSettingsForm
from marina_portal.views.staff.frame import bp, client_ip


@bp.route("/settings", methods=["GET", "POST"], endpoint="port_settings")
@admin_required
def port_settings_page():
    port = current_port()
    form = PortSettingsForm(obj=port)
    if not form.is_submitted():
        form.monetico_key.data = ""
    if form.validate_on_submit():
        if settings.update(current_user, port, form.data, form.monetico_key.data, client_ip()):
            flash("Paramètres du port enregistrés.", "success")
        g.pop("port", None)
        return redirect(url_for("staff.port_settings"), code=303)
    return render_template(
        "staff/settings.html", form=form, has_key=bool(port.monetico_key), missing=legal.missing_identity(port)
    ), (422 if form.is_submitted() else 200)
