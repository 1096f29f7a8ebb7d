"""Mail in two layers: `send_email` renders a .txt/.html pair; per-feature senders call it.

Each mail is rendered in its reader's language (`language`, else the current page's). Delivery goes
through a Huey task, so a page answers in the same time whether or not it sent a mail. With
MAIL_OUTBOX on (development), mails are kept in the database and shown at /dev/outbox.
"""

from flask import current_app, has_request_context, render_template
from flask_babel import get_locale, gettext
from flask_mail import Message

from marina_portal.core.extensions import mail
from marina_portal.core.i18n import in_language
from marina_portal.core.queue import app_context, huey
from marina_portal.models import OutboxMail


def render_email(to, subject, template, language=None, subject_fields=None, **context):
    """The mail as [to, subject, text, html], rendered in its reader's language."""
    if language is None:
        language = str(get_locale()) if has_request_context() else "fr"
    with in_language(language):
        subject = gettext(str(subject), **(subject_fields or {}))
        text = render_template(f"mail/{template}.txt", subject=subject, **context)
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    return [to, subject, text, html]


def send_email(to, subject, template, language=None, subject_fields=None, **context):
    deliver_mail(*render_email(to, subject, template, language, subject_fields, **context))


def deliver(to, subject, text, html):
    if current_app.config["MAIL_OUTBOX"]:
        OutboxMail.create(to=to, subject=subject, text=text, html=html)
        return
    message = Message(subject=subject, recipients=[to], body=text, html=html)
    mail.send(message)


@huey.task(retries=3, retry_delay=60)
def deliver_mail(to, subject, text, html):
    with app_context():
        deliver(to, subject, text, html)


@huey.task()
def deliver_mails(messages):
    """Many rendered mails ([to, subject, text, html] each) over one SMTP connection, for bulk runs.

    When the server fails midway, the mails not yet sent are queued again a minute later (none twice)."""
    with app_context():
        if current_app.config["MAIL_OUTBOX"]:
            OutboxMail.insert_many(
                [{"to": to, "subject": subject, "text": text, "html": html} for to, subject, text, html in messages]
            ).execute()
            return
        sent = 0
        try:
            with mail.connect() as connection:
                for to, subject, text, html in messages:
                    connection.send(Message(subject=subject, recipients=[to], body=text, html=html))
                    sent += 1
        except Exception:
            if sent < len(messages) and not huey.immediate:
                deliver_mails.schedule((messages[sent:],), delay=60)
            raise
