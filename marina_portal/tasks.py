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
