"""Mail in two layers, kept until delivered: `send_email` renders a .txt/.html pair; per-feature senders call it.

Every mail is first a QueuedMail row, written in the caller's transaction (`queue_email` inside one, e.g. a
payment's receipt), then sent by the queue: `dispatch` sends it at once, and `sweep_mail` (every minute,
and when the consumer starts) sends whatever is due, so a mail whose task was lost still leaves. A mailing
(news, reminders, invoice mails) is its QueuedMail rows sharing one `mailing` key, sent in batches
(`deliver_due(mailing=...)`); a feature that counts its progress registers `on_progress(kind, sync)`.

One mail leaves at most once (core.smtp): the row is marked sent in the database just before the final "."
of its SMTP DATA, and the dot is sent only once that is recorded, so a process killed at any point either
left an unfinished DATA (the server drops it, the mail is sent again later) or recorded the mail it sent;
a kill in the microseconds between the record and the dot would lose that one mail rather than send it twice.
Nothing holds a database lock while talking to the server. A failed try is retried with backoff for
GIVE_UP_AFTER (over a day); then the mail is "failed", listed for the harbour office, who may resend it.
Connect and send both time out after MAIL_TIMEOUT seconds. Each mail is rendered in its reader's language
(`language`, else the current page's). With MAIL_OUTBOX on (development), mails go to /dev/outbox instead.
Attachments are named by their stored path under DATA_DIR and read when the mail is sent.
"""

import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app, has_request_context, render_template
from flask_babel import get_locale, gettext
from huey import crontab
from peewee import OperationalError, chunked, fn

from marina_portal.core import smtp
from marina_portal.core.i18n import in_language
from marina_portal.core.queue import app_context, huey
from marina_portal.models import MailStatus, QueuedMail, utcnow

log = logging.getLogger(__name__)

BACKOFF = tuple(dt.timedelta(minutes=m) for m in (1, 2, 5, 10, 20, 30, 60))  # then hourly
GIVE_UP_AFTER = dt.timedelta(hours=26)
BATCH_SIZE = 50
SWEEP_LIMIT = 500
KEEP_SENT = dt.timedelta(days=90)  # then a sent mail's copy is deleted (the features keep their own marks)
Attachment = tuple[str, str, str]  # file name, content type, stored path under DATA_DIR
_progress: dict[str, Callable[[int], object]] = {}  # mailing kind -> sync(mailing id): recounts what the feature shows


class _Taken(Exception):
    """Another sender recorded this mail first."""


def render_email(
    subject: str, template: str, language: str | None = None, subject_fields: dict | None = None, **context: Any
) -> tuple[str, str, str]:
    """(subject, text, html) of a mail template in the reader's language."""
    if language is None:
        language = str(get_locale()) if has_request_context() else "fr"
    with in_language(language):
        subject = gettext(str(subject), **(subject_fields or {}))
        text = render_template(f"mail/{template}.txt", subject=subject, **context)
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    return subject, text, html


def queue(
    to: str,
    subject: str,
    text: str,
    html: str = "",
    mailing: str = "",
    recipient: int | None = None,
    attachments: Iterable[Attachment] = (),
) -> QueuedMail:
    """Keep one mail to send (in the caller's transaction, if any); `dispatch` or the sweep sends it.
    `attachments`: [(file name, content type, stored path under DATA_DIR)]."""
    now = utcnow()
    return QueuedMail.create(
        to=to,
        attachments=json.dumps([list(a) for a in attachments]) if attachments else "",
        subject=subject,
        text=text,
        html=html,
        mailing=mailing,
        recipient=recipient,
        next_attempt_at=now,
        give_up_at=now + GIVE_UP_AFTER,
        created_at=now,
    )


def queue_many(mails: Iterable[dict[str, Any]], mailing: str) -> int:
    """Keep a mailing's mails: dicts of to, subject, text, html and recipient (the feature's id)."""
    now = utcnow()
    rows = [
        dict(mail, mailing=mailing, next_attempt_at=now, give_up_at=now + GIVE_UP_AFTER, created_at=now)
        for mail in mails
    ]
    for part in chunked(rows, 50):  # SQLite limits the parameters of one statement
        QueuedMail.insert_many(part).execute()
    return len(rows)


def queue_email(
    to: str,
    subject: str,
    template: str,
    language: str | None = None,
    subject_fields: dict | None = None,
    attachments: Iterable[Attachment] = (),
    **context: Any,
) -> QueuedMail:
    return queue(to, *render_email(subject, template, language, subject_fields, **context), attachments=attachments)


def send_email(
    to: str,
    subject: str,
    template: str,
    language: str | None = None,
    subject_fields: dict | None = None,
    attachments: Iterable[Attachment] = (),
    **context: Any,
) -> QueuedMail:
    mail = queue_email(to, subject, template, language, subject_fields, attachments, **context)
    dispatch(mail.id)
    return mail


def dispatch(mail_id: int) -> None:
    """Send one queued mail now (in the background): a lost task only delays it to the next sweep."""
    deliver_queued(mail_id)


def on_progress(kind: str, sync: Callable[[int], object]) -> None:
    """After mails of a `kind:id` mailing went out, call sync(id) so the feature recounts its progress."""
    _progress[kind] = sync


def mailing_counts(mailing: str) -> dict[str, int]:
    """{status: count} of a mailing's mails."""
    query = (
        QueuedMail.select(QueuedMail.status, fn.COUNT(QueuedMail.id).alias("n"))
        .where(QueuedMail.mailing == mailing)
        .group_by(QueuedMail.status)
    )
    return {row.status: row.n for row in query}


def deliver_due(mailing: str | None = None, limit: int = BATCH_SIZE, now: dt.datetime | None = None) -> bool:
    """Send up to `limit` due mails (of one mailing, or all); True when more were due."""
    now = now or utcnow()
    query = QueuedMail.select().where((QueuedMail.status == MailStatus.PENDING) & (QueuedMail.next_attempt_at <= now))
    if mailing is not None:
        query = query.where(QueuedMail.mailing == mailing)
    rows = list(query.order_by(QueuedMail.next_attempt_at, QueuedMail.id).limit(limit + 1))
    went_through = _deliver(rows[:limit], now)
    return went_through and len(rows) > limit


def sweep(now: dt.datetime | None = None, limit: int | None = None) -> bool:
    """Give up on mails past their deadline, then send what is due (up to `limit`); True when more are due.

    The consumer runs it every minute and at its start, one batch per task so a graceful stop waits for
    one batch only."""
    now = now or utcnow()
    QueuedMail.update(
        status=MailStatus.FAILED,
        leased_by="",
        last_error=fn.COALESCE(fn.NULLIF(QueuedMail.last_error, ""), "Serveur de mail injoignable."),
    ).where(
        (QueuedMail.status == MailStatus.PENDING) & (QueuedMail.give_up_at < now) & (QueuedMail.next_attempt_at <= now)
    ).execute()
    if limit is not None:
        return deliver_due(limit=limit, now=now)
    while deliver_due(limit=SWEEP_LIMIT, now=now):
        pass
    return False


def undelivered(limit: int = 200) -> list[QueuedMail]:
    """Mails not delivered yet after a failed try (retrying, or given up), oldest first."""
    return list(
        QueuedMail.select()
        .where(
            ((QueuedMail.status == MailStatus.PENDING) & (QueuedMail.attempts > 0))
            | (QueuedMail.status == MailStatus.FAILED)
        )
        .order_by(QueuedMail.created_at, QueuedMail.id)
        .limit(limit)
    )


def resend(mail_id: int) -> QueuedMail | None:
    """A mail not delivered yet goes again now, with a new day of retries; None if there is none such."""
    now = utcnow()
    changed = (
        QueuedMail.update(status=MailStatus.PENDING, next_attempt_at=now, give_up_at=now + GIVE_UP_AFTER, leased_by="")
        .where((QueuedMail.id == mail_id) & (QueuedMail.status != MailStatus.SENT))
        .execute()
    )
    if not changed:
        return None
    dispatch(mail_id)
    return QueuedMail.get_by_id(mail_id)


def owner() -> str:
    """Who sends: this host and process, so a restarted consumer can take back a dead one's mails."""
    return f"{socket.gethostname()}:{os.getpid()}"


def release_dead_leases() -> int:
    """Mails a dead process of this host had taken are due again at once (the consumer's start-up)."""
    host = socket.gethostname() + ":"
    rows = QueuedMail.select(QueuedMail.id, QueuedMail.leased_by).where(
        (QueuedMail.status == MailStatus.PENDING) & QueuedMail.leased_by.startswith(host)
    )
    dead = [row.id for row in rows if not _alive(int(row.leased_by.rsplit(":", 1)[1]))]
    for part in chunked(dead, 100):
        QueuedMail.update(leased_by="", next_attempt_at=utcnow()).where(QueuedMail.id.in_(part)).execute()
    return len(dead)


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lease_time():
    return dt.timedelta(seconds=3 * float(current_app.config["MAIL_TIMEOUT"]) + 30)


def _deliver(rows, now):
    """Send these rows over one connection; False when it stopped early (server unreachable, database busy)."""
    me, touched = owner(), set()
    sender = smtp.Sender(current_app.config)
    try:
        for row in rows:
            # Taken for this process until the lease ends: another sender (the sweep) leaves it alone.
            try:
                leased = (
                    QueuedMail.update(leased_by=me, next_attempt_at=now + _lease_time())
                    .where(
                        (QueuedMail.id == row.id)
                        & (QueuedMail.status == MailStatus.PENDING)
                        & (QueuedMail.next_attempt_at <= now)
                    )
                    .execute()
                )
            except OperationalError as error:
                log.warning("mails not sent for now, the database is busy: %s", error)
                return False
            if not leased:
                continue
            try:
                sender.send(row, claim=lambda row=row: _claim(row, me))
            except _Taken:
                continue
            except OperationalError as error:  # the database stayed locked: nothing was sent, tried again later
                log.warning("mail %s not sent, the database is busy: %s", row.id, error)
                return False
            except smtp.MailNotSent as failure:
                _failed(row, failure, now)
                if failure.unreachable:
                    return False  # the server is down or silent: the others wait for the next sweep
            finally:
                touched.add(row.mailing)
    finally:
        sender.close()
        _sync(touched)
    return True


def _claim(row, me):
    """Record the mail as sent: called with its DATA written, just before the final dot."""
    claimed = (
        QueuedMail.update(status=MailStatus.SENT, sent_at=utcnow(), attempts=QueuedMail.attempts + 1, leased_by="")
        .where((QueuedMail.id == row.id) & (QueuedMail.status == MailStatus.PENDING) & (QueuedMail.leased_by == me))
        .execute()
    )
    if claimed != 1:
        raise _Taken()


def _failed(row, failure, now):
    tries = row.attempts + 1
    give_up = failure.permanent or now >= row.give_up_at
    log.warning("mail %s to %s not sent (try %d): %s", row.id, row.to, tries, failure)
    QueuedMail.update(
        status=MailStatus.FAILED if give_up else MailStatus.PENDING,
        sent_at=None,
        attempts=tries,
        next_attempt_at=now + BACKOFF[min(tries, len(BACKOFF)) - 1],
        leased_by="",
        last_error=str(failure)[:500],
    ).where(QueuedMail.id == row.id).execute()


def _sync(mailings):
    for mailing in mailings:
        kind, _, ident = mailing.partition(":")
        if kind in _progress and ident.isdigit():
            try:
                _progress[kind](int(ident))
            except Exception:  # a count shown late, never a mail sent twice
                log.exception("progress of mailing %s not updated", mailing)


@huey.task()
def deliver_queued(mail_id: int) -> None:
    with app_context():
        rows = list(QueuedMail.select().where((QueuedMail.id == mail_id) & (QueuedMail.status == MailStatus.PENDING)))
        _deliver(rows, utcnow())


@huey.periodic_task(crontab(minute="*"))
def sweep_every_minute() -> None:
    sweep_mail()


@huey.task()
def sweep_mail() -> None:
    with app_context():
        more = sweep(limit=BATCH_SIZE)
    if more:
        sweep_mail()


@huey.periodic_task(crontab(hour="4", minute="20"))
def forget_old_sent_mails() -> None:
    with app_context():
        QueuedMail.delete().where(
            (QueuedMail.status == MailStatus.SENT) & (QueuedMail.sent_at < utcnow() - KEEP_SENT)
        ).execute()


_resumed = threading.Lock()


@huey.on_startup()
def _resume_after_a_restart():
    # Each worker thread runs the start-up hooks; the first one takes back the mails of a killed consumer.
    if _resumed.acquire(blocking=False):
        with app_context():
            taken_back = release_dead_leases()
        if taken_back:
            log.info("%d mail(s) of a stopped consumer taken back", taken_back)
        sweep_mail()
