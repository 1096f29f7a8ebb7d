"""Sending one mail over SMTP so that it is recorded exactly when it leaves: `Sender.send(row, claim)` writes
the whole DATA, calls claim() (which records the mail as sent), and only then sends the final dot.

A claim that fails (another sender took it, the database is locked) drops the connection before the dot,
so the server discards the unfinished mail. Connect and every answer time out after MAIL_TIMEOUT seconds.
With MAIL_OUTBOX on (development) the mail goes to the outbox table in the claim's transaction.
"""

import email.utils
import json
import re
import smtplib
import socket

from flask import current_app
from flask_mail import Message

from marina_portal.core import storage
from marina_portal.core.db import database
from marina_portal.models import OutboxMail


class MailNotSent(Exception):
    """A try that failed. `unreachable`: the server itself is down or silent, later mails would fail too."""

    def __init__(self, reason, permanent=False, unreachable=False):
        super().__init__(reason)
        self.permanent, self.unreachable = permanent, unreachable


class Sender:
    """One SMTP connection for a batch (or the outbox), opened at the first mail, with timeouts."""

    def __init__(self, config):
        self.config, self.smtp = config, None

    def send(self, row, claim):
        if self.config["MAIL_OUTBOX"]:
            with database.atomic():
                OutboxMail.create(to=row.to, subject=row.subject, text=row.text, html=row.html)
                claim()
            return
        message = Message(subject=row.subject, recipients=[row.to], body=row.text, html=row.html or None)
        for name, content_type, stored in json.loads(row.attachments or "[]"):
            message.attach(name, content_type, storage.read_bytes(stored))
        if current_app.extensions["mail"].suppress:
            claim()
            return
        data = message.as_bytes()
        sender = email.utils.parseaddr(message.sender)[1]
        smtp = self._open()
        try:
            self._expect(smtp.mail(sender), (250,))
            self._expect(smtp.rcpt(row.to), (250, 251), permanent_5xx=True)
            self._expect(smtp.docmd("data"), (354,))
            smtp.send(_dot_stuffed(data))
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise MailNotSent(f"{type(error).__name__}: {error}", unreachable=True) from None
        except MailNotSent:
            self._reset()
            raise
        try:
            claim()
        except BaseException:
            self._drop()  # a DATA that never ends is dropped by the server: nothing was sent
            raise
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise MailNotSent(f"{type(error).__name__} after the data: {error}", unreachable=True) from None
        if code != 250:
            self._reset()
            raise MailNotSent(f"{code} {reply.decode(errors='replace')}", permanent=500 <= code < 600)

    def _open(self):
        if self.smtp is None:
            state, timeout = current_app.extensions["mail"], float(self.config["MAIL_TIMEOUT"])
            try:
                kind = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
                smtp = kind(state.server or "localhost", state.port, timeout=timeout)
                # The message and its final dot leave in two writes (the mail is recorded in between): without
                # this, Nagle's algorithm holds the dot until the server's delayed ACK, 40 ms per mail.
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                smtp.ehlo()
                if state.use_tls:
                    smtp.starttls()
                    smtp.ehlo()
                if state.username:
                    smtp.login(state.username, state.password or "")
            except (OSError, smtplib.SMTPException) as error:
                raise MailNotSent(f"{type(error).__name__}: {error}", unreachable=True) from None
            self.smtp = smtp
        return self.smtp

    @staticmethod
    def _expect(answer, codes, permanent_5xx=False):
        code, reply = answer
        if code not in codes:
            raise MailNotSent(f"{code} {reply.decode(errors='replace')}", permanent=permanent_5xx and code >= 500)

    def _reset(self):
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self):
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()


def _dot_stuffed(data):
    """The message as SMTP DATA carries it, without the final dot: CRLF lines, leading dots doubled."""
    data = re.sub(rb"(?m)^\.", b"..", re.sub(rb"\r?\n", b"\r\n", data))
    return data if data.endswith(b"\r\n") else data + b"\r\n"
