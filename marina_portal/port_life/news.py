"""News and urgent alerts from the harbour office, shown on the boaters' home page and mailed if asked.

Mailing goes out in the background in batches of BATCH_SIZE: each batch is one Huey task that sends
its mails, adds them to NewsItem.mail_sent and queues the next batch, so the staff page can show
"mail_sent / mail_total" while it runs and a crash resumes where it stopped.
"""

import datetime as dt

from flask import render_template, url_for
from flask_babel import gettext

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.i18n import DEFAULT, LANGUAGES, N_, in_language
from marina_portal.core.mail import deliver
from marina_portal.core.queue import huey, request_context
from marina_portal.models import Contract, Customer, NewsItem, Port, User, utcnow

BATCH_SIZE = 50
ALERT_DAYS = 7  # an alert stays on the home page this long
NEWS_SHOWN = 5


class NewsRefused(Exception):
    """A news item that can't be published, with the words to show."""


def berth_holders(port, today=None):
    """The customers holding a berth under a current contract (a subquery)."""
    today = today or paris_today()
    return Contract.select(Contract.customer).where(
        (Contract.port == port)
        & (Contract.status != "cancelled")
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
    with database.atomic():
        item = NewsItem.create(
            port=port,
            author=author,
            title=title,
            body=body,
            is_alert=bool(is_alert),
            alert_for_all=bool(alert_for_all),
        )
        if send_mail:
            item.mail_total = recipients(port, for_berth_holders_only(item)).count()
            item.save()
    if item.mail_total:
        send_news_batch(item.id)
    return item


def send_batch(news_id):
    """Send the next batch of a news item's mails; True when more remain."""
    item = NewsItem.get_by_id(news_id)
    if item.mail_sent >= item.mail_total:
        return False
    port = Port.get_by_id(item.port_id)
    batch = list(
        recipients(port, for_berth_holders_only(item))
        .offset(item.mail_sent)
        .limit(min(BATCH_SIZE, item.mail_total - item.mail_sent))
    )
    subject = N_("Alerte du port : %(title)s") if item.is_alert else N_("Information du port : %(title)s")
    context = dict(item=item, port=port, link=url_for("main.home", _external=True))
    rendered = {}  # one rendering per language, each boater reads theirs
    for user in batch:
        language = user.language if user.language in LANGUAGES else DEFAULT
        if language not in rendered:
            with in_language(language):
                rendered[language] = (
                    gettext(subject, title=item.title),
                    render_template("mail/news.txt", **context),
                    render_template("mail/news.html", **context),
                )
        deliver(user.email, *rendered[language])
        # counted one by one, so a retry after a failure resumes after the last mail that went out
        NewsItem.update(mail_sent=NewsItem.mail_sent + 1).where(NewsItem.id == item.id).execute()
    sent = item.mail_sent + len(batch)
    if not batch:  # fewer boaters than when it was published: stop here
        sent = item.mail_total
        NewsItem.update(mail_sent=sent).where(NewsItem.id == item.id).execute()
    return sent < item.mail_total


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
    NewsItem.delete().where((NewsItem.id == news_id) & (NewsItem.port == port)).execute()


@huey.task(retries=3, retry_delay=60)
def send_news_batch(news_id):
    """One batch of a news item's mails; queues the next batch until all are sent."""
    with request_context():
        more = send_batch(news_id)
    if more:
        send_news_batch(news_id)
