"""Development outbox: the mails the portal would have sent, when MAIL_OUTBOX is on."""

from flask import Blueprint, abort, current_app, render_template

from marina_portal.models import OutboxMail

bp = Blueprint("outbox", __name__, url_prefix="/dev/outbox")


@bp.before_request
def _only_in_development():
    if not current_app.config["MAIL_OUTBOX"]:
        abort(404)


@bp.route("/")
def index():
    mails = OutboxMail.select().order_by(OutboxMail.id.desc()).limit(100)
    return render_template("outbox/index.html", mails=mails)


@bp.route("/<int:mail_id>")
def show(mail_id):
    mail = OutboxMail.get_or_none(OutboxMail.id == mail_id) or abort(404)
    return render_template("outbox/show.html", mail=mail)
