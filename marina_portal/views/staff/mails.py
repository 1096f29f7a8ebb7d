"""Harbour office: mails not delivered yet (retrying after a failure, or given up), each with « Renvoyer »."""

from flask import flash, redirect, render_template, url_for

from marina_portal.core import mail
from marina_portal.models import MailStatus
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.staff.frame import bp


@bp.route("/mails")
@staff_required
def undelivered_mails():
    return render_template("staff/mails.html", mails=mail.undelivered(), form=EmptyForm())


@bp.route("/mails/<int:mail_id>/resend", methods=["POST"])
@staff_required
def resend_mail(mail_id):
    if EmptyForm().validate_on_submit():
        sent = mail.resend(mail_id)
        if sent is None:
            flash("Ce mail est déjà parti.", "error")
        elif sent.status == MailStatus.SENT:
            flash(f"Mail renvoyé à {sent.to}.", "success")
        else:
            flash(f"Le mail à {sent.to} n'est pas encore parti : il sera réessayé ({sent.last_error}).", "error")
    return redirect(url_for("staff.undelivered_mails"), code=303)
