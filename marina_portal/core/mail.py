"""Mail in two layers: `send_email` renders a .txt/.html pair; per-feature senders call it.

Each mail is rendered in its reader's language (`language`, else the current page's). Delivery goes
through a Huey task, so a page answers in the same time whether or not it sent a mail. With
MAIL_OUTBOX on (development), mails are kept in the database and shown at /dev/outbox.
Attachments are named by their stored path under DATA_DIR and read when the mail is delivered.
"""

from flask import current_app, has_request_context, render_template
from flask_babel import get_locale, gettext
from flask_mail import Message

from marina_portal.core import storage
from marina_portal.core.extensions import mail
from marina_portal.core.i18n import in_language
from marina_portal.core.queue import app_context, huey
from marina_portal.models import OutboxMail


def send_email(to, subject, template, language=None, subject_fields=None, attachments=(), **context):
    """`attachments`: [(file name, content type, stored path under DATA_DIR)]."""
    if language is None:
        language = str(get_locale()) if has_request_context() else "fr"
    with in_language(language):
        subject = gettext(str(subject), **(subject_fields or {}))
        text = render_template(f"mail/{template}.txt", subject=subject, **context)
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    deliver_mail(to, subject, text, html, [list(a) for a in attachments])


def deliver(to, subject, text, html, attachments=()):
    if current_app.config["MAIL_OUTBOX"]:
        OutboxMail.create(to=to, subject=subject, text=text, html=html)
        return
    message = Message(subject=subject, recipients=[to], body=text, html=html)
    for name, content_type, stored in attachments:
        message.attach(name, content_type, storage.read_bytes(stored))
    mail.send(message)


@huey.task(retries=3, retry_delay=60)
def deliver_mail(to, subject, text, html, attachments=()):
    with app_context():
        deliver(to, subject, text, html, attachments)
