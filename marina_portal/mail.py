"""Mail in two layers: `send_email` renders a .txt/.html pair; per-feature senders call it.

Delivery goes through a Huey task, so a page answers in the same time whether or not it sent a mail.
With MAIL_OUTBOX on (development), mails are kept in the database and shown at /dev/outbox.
"""
from flask import current_app, render_template
from flask_mail import Message

from .extensions import mail
from .models import OutboxMail


def send_email(to, subject, template, **context):
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    from .tasks import deliver_mail

    deliver_mail(to, subject, text, html)


def deliver(to, subject, text, html):
    if current_app.config["MAIL_OUTBOX"]:
        OutboxMail.create(to=to, subject=subject, text=text, html=html)
        return
    message = Message(subject=subject, recipients=[to], body=text, html=html)
    mail.send(message)
