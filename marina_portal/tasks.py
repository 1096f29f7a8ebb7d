"""Background and scheduled work (Huey): SQLite storage beside the database, or Redis by HUEY_URL.

Under `make run` and in tests HUEY_IMMEDIATE runs each task at once, in the caller's app context.
In production run the consumer: `huey_consumer marina_portal.tasks.huey`.
"""
import os

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab


def _make_huey():
    url = os.environ.get("MARINA_HUEY_URL")
    if url:
        return RedisHuey("marina-portal", url=url)
    database = os.environ.get("MARINA_DATABASE", "data/portal.sqlite3")
    folder = os.path.dirname(database) if "://" not in database else "data"
    os.makedirs(folder or ".", exist_ok=True)
    return SqliteHuey("marina-portal", filename=os.path.join(folder or ".", "huey.sqlite3"))


huey = _make_huey()
_consumer_app = None


def app_context():
    """The caller's app context when there is one (immediate mode), else the consumer's own app."""
    global _consumer_app
    if has_app_context():
        return current_app.app_context()
    if _consumer_app is None:
        from . import create_app

        _consumer_app = create_app()
    return _consumer_app.app_context()


def init_app(app):
    huey.immediate = bool(app.config["HUEY_IMMEDIATE"])


@huey.task(retries=3, retry_delay=60)
def deliver_mail(to, subject, text, html):
    from .mail import deliver

    with app_context():
        deliver(to, subject, text, html)


@huey.periodic_task(crontab(hour="3", minute="30"))
def daily_direct_debit_upkeep():
    """Lapse mandates unused for 36 months; debits a week past their date count as collected."""
    from .formats import paris_today
    from .mandates import lapse_dormant
    from .sepa import settle

    with app_context():
        lapse_dormant(paris_today())
        settle()
def request_context():
    """A request context whose url_for(_external=True) gives BASE_URL links, for mails sent from tasks."""
    from contextlib import nullcontext

    from flask import has_request_context

    if has_request_context():
        return nullcontext()
    if has_app_context():
        app = current_app._get_current_object()
    else:
        with app_context():  # creates the consumer's app once
            app = current_app._get_current_object()
    return app.test_request_context(base_url=app.config["BASE_URL"])


@huey.task(retries=3, retry_delay=60)
def send_news_batch(news_id):
    """One batch of a news item's mails; queues the next batch until all are sent."""
    from . import news

    with request_context():
        more = news.send_batch(news_id)
    if more:
        send_news_batch(news_id)


@huey.periodic_task(crontab(hour="7", minute="0"))
def waiting_list_daily():
    """Every morning: offers past their deadline, yearly confirmation reminders, then lapses."""
    from . import waiting_list

    with request_context():
        waiting_list.run_daily()


@huey.task(retries=1, retry_delay=60)
def render_invoice_pdfs(invoice_ids):
    """Fill the PDF cache for invoices that just changed (see billing.refresh_pdfs_soon)."""
    from .billing import invoice_pdf

    with app_context():
        for invoice_id in invoice_ids:
            invoice_pdf(invoice_id)
