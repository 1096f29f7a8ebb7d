"""Background and scheduled work (Huey): SQLite storage beside the database, or Redis by HUEY_URL.

Under `make run` and in tests HUEY_IMMEDIATE runs each task at once, in the caller's app context.
In production run the consumer: `huey_consumer marina_portal.tasks.huey`.
"""
import os

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab


def _settings():
    """HUEY_URL and DATABASE from the app's own sources (defaults, instance/config.py, MARINA_* variables).

    The queue is built on import, before any app: the consumer and every app server must agree on it.
    """
    from flask import Flask

    from .config import Defaults

    settings = Flask("marina_portal", instance_relative_config=True).config
    settings.from_object(Defaults)
    settings.from_pyfile("config.py", silent=True)
    settings.from_prefixed_env("MARINA")
    return settings


def _make_huey():
    settings = _settings()
    url = settings.get("HUEY_URL")
    if url:
        return RedisHuey("marina-portal", url=url)
    database = settings["DATABASE"]
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
@huey.periodic_task(crontab(hour="3", minute="45"))
def daily_absence_credits():
    """After the direct-debit upkeep: credits that waited (a debit or card payment under way) find their invoice."""
    from .absence_credits import apply

    with app_context():
        apply()


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


@huey.task(retries=3, retry_delay=60)
def send_insurance_reminders(reminder_id):
    """One batch of insurance reminder mails; queues the next batch until all are sent."""
    from . import papers

    with request_context():
        more = papers.send_batch(reminder_id)
    if more:
        send_insurance_reminders(reminder_id)


@huey.task(retries=1, retry_delay=60)
def render_invoice_pdfs(invoice_ids):
    """Fill the PDF cache for invoices that just changed (see billing.refresh_pdfs_soon)."""
    from .billing import invoice_pdf

    with app_context():
        for invoice_id in invoice_ids:
            invoice_pdf(invoice_id)
