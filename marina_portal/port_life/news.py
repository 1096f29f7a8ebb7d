"""News and urgent alerts from the harbour office, shown on the boaters' home page and mailed if asked.

Mailing: publishing keeps one mail per boater (core.mail's QueuedMail rows of the mailing "news:<id>",
rendered once per language), then they go out in the background in batches of BATCH_SIZE, each batch one
Huey task that queues the next. Each mail is marked sent as it leaves, and NewsItem.mail_sent is recounted
from those marks, so the staff page's "mail_sent / mail_total" is true and a consumer killed or restarted
mid-mailing resumes with the boaters not mailed yet (core.mail's sweep), none of them mailed twice.
"""

import datetime as dt

from flask import render_template
from flask_babel import gettext

from marina_portal.core import mail
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.i18n import DEFAULT, LANGUAGES, N_, in_language
from marina_portal.core.queue import app_context, huey, request_context
from marina_portal.core.refusals import Refusal
from marina_portal.core.urls import external_url
from marina_portal.models import Contract, ContractStatus, Customer, MailStatus, NewsItem, QueuedMail, User, utcnow

BATCH_SIZE = 50
ALERT_DAYS = 7  # an alert stays on the home page this long
NEWS_SHOWN = 5


class NewsRefused(Refusal):
    """A news item that can't be published, with the words to show."""


def berth_holders(port, today=None):
    """The customers holding a berth under a current contract (a subquery)."""
    today = today or paris_today()
    return Contract.select(Contract.customer).where(
        (Contract.port == port)
        & (Contract.status != ContractStatus.CANCELLED)
        & Contract.berth.is_null(False)
        & (Contract.ends_on >= today)
    )


def for_berth_holders_only(item):
    """An alert (storm, works on the pontoons, water cut) is for the boats at their berths, unless staff chose all."""
    return item.is_alert and not item.alert_for_all


def recipients(port, berth_holders_only=False):
    """The boaters' logins (one per address) of the port, in a stable order."""
    query = (
        User.select(User.id, User.email, User.language)
        .join(Customer)
        .where((Customer.port == port) & (User.role == "boater") & (User.is_enabled == True))  # noqa: E712
    )
    if berth_holders_only:
        query = query.where(Customer.id.in_(berth_holders(port)))
    return query.order_by(User.id)


def publish(port, author, title, body, is_alert=False, send_mail=False, alert_for_all=False):
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise NewsRefused("Indiquez un titre et un texte.")
    item = NewsItem(
        port=port, author=author, title=title, body=body, is_alert=bool(is_alert), alert_for_all=bool(alert_for_all)
    )
    mails = list(_mails(item, port)) if send_mail else []  # rendered before the transaction: no lock held meanwhile
    with database.atomic():
        item.mail_total = len(mails)
        item.save()
        if mails:
            mail.queue_many(mails, mailing(item.id))
    if item.mail_total:
        send_news_batch(item.id)
    return item


def mailing(news_id):
    return f"news:{news_id}"


def _mails(item, port):
    """One mail per boater's login, in their language (each language rendered once)."""
    subject = N_("Alerte du port : %(title)s") if item.is_alert else N_("Information du port : %(title)s")
    rendered = {}
    with request_context():
        context = dict(item=item, port=port, link=external_url("main.home"))
        for user in recipients(port, for_berth_holders_only(item)):
            language = user.language if user.language in LANGUAGES else DEFAULT
            if language not in rendered:
                with in_language(language):
                    rendered[language] = (
                        gettext(subject, title=item.title),
                        render_template("mail/news.txt", **context),
                        render_template("mail/news.html", **context),
                    )
            text_subject, text, html = rendered[language]
            yield dict(to=user.email, subject=text_subject, text=text, html=html, recipient=user.id)


def send_batch(news_id):
    """Send the next batch of a news item's mails; True when more remain."""
    return mail.deliver_due(mailing=mailing(news_id), limit=BATCH_SIZE)


def recount(news_id):
    """NewsItem.mail_sent from the mails marked sent (core.mail calls it after each batch)."""
    sent = QueuedMail.select().where((QueuedMail.mailing == mailing(news_id)) & (QueuedMail.status == MailStatus.SENT))
    NewsItem.update(mail_sent=sent.count()).where(NewsItem.id == news_id).execute()


mail.on_progress("news", recount)


def for_home(port, now=None, berth_holder=True):
    """(alerts of the last ALERT_DAYS days, the latest news), newest first; without a berth, only the alerts
    the harbour office addressed to all."""
    now = now or utcnow()
    recent_alerts = (
        (NewsItem.port == port)
        & (NewsItem.is_alert == True)  # noqa: E712
        & (NewsItem.published_at >= now - dt.timedelta(days=ALERT_DAYS))
    )
    if not berth_holder:
        recent_alerts &= NewsItem.alert_for_all == True  # noqa: E712
    alerts = list(NewsItem.select().where(recent_alerts).order_by(NewsItem.published_at.desc()))
    news = list(
        NewsItem.select()
        .where((NewsItem.port == port) & (NewsItem.is_alert == False))  # noqa: E712
        .order_by(NewsItem.published_at.desc())
        .limit(NEWS_SHOWN)
    )
    return alerts, news


def for_staff(port):
    return list(NewsItem.select().where(NewsItem.port == port).order_by(NewsItem.published_at.desc()).limit(50))


def delete(news_id, port):
    """Remove a news item; its mails not sent yet are not sent (a news item removed was published by mistake)."""
    with database.atomic():
        if NewsItem.delete().where((NewsItem.id == news_id) & (NewsItem.port == port)).execute():
            QueuedMail.delete().where(
                (QueuedMail.mailing == mailing(news_id)) & (QueuedMail.status != MailStatus.SENT)
            ).execute()


@huey.task()
def send_news_batch(news_id):
    """One batch of a news item's mails; queues the next batch until all are sent (a failed mail is retried
    by core.mail with backoff, not by this task)."""
    with app_context():
        more = send_batch(news_id)
    if more:
        send_news_batch(news_id)
