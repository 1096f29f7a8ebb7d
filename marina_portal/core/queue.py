"""The background queue (Huey): SQLite storage beside the database, or Redis by HUEY_URL.

Each feature defines its tasks on `huey`; `marina_portal.worker` imports them all for the consumer
(`huey_consumer marina_portal.worker.huey`). Under `make run` and in tests HUEY_IMMEDIATE runs each task
at once, in the caller's app context.
"""

import os
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any, Callable, ContextManager, Optional

from flask import Flask, current_app, has_app_context, has_request_context
from flask.ctx import AppContext
from huey import Huey, RedisHuey, SqliteHuey

from marina_portal.core import config


def make_huey(settings: Mapping[str, Any]) -> Huey:
    """The queue every app server and the consumer agree on, from the same settings as the app."""
    url = settings.get("HUEY_URL")
    if url:
        return RedisHuey("marina-portal", url=url)
    database = settings["DATABASE"]
    if "://" in database:
        folder = settings["DATA_DIR"]
    else:
        folder = os.path.dirname(database)
    if not os.path.isabs(folder):
        folder = os.path.join(config.PROJECT_ROOT, folder)
    os.makedirs(folder, exist_ok=True)
    return SqliteHuey("marina-portal", filename=os.path.join(folder, "huey.sqlite3"))


huey = make_huey(config.settings())
_app_factory: Optional[Callable[[], Flask]] = None
_consumer_app: Optional[Flask] = None


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """The worker tells the queue how to build the consumer's own app (tasks run outside any request)."""
    global _app_factory
    _app_factory = factory


def init_app(app: Flask) -> None:
    huey.immediate = bool(app.config["HUEY_IMMEDIATE"])


def app_context() -> AppContext:
    """The caller's app context when there is one (immediate mode), else the consumer's own app."""
    global _consumer_app
    if has_app_context():
        return current_app.app_context()
    if _consumer_app is None:
        if _app_factory is None:
            raise RuntimeError("run the consumer on marina_portal.worker.huey, which builds the app")
        _consumer_app = _app_factory()
    return _consumer_app.app_context()


def request_context() -> ContextManager[Any]:
    """A request context whose url_for(_external=True) gives BASE_URL links, for mails sent from tasks."""
    if has_request_context():
        return nullcontext()
    if has_app_context():
        app = current_app._get_current_object()
    else:
        with app_context():  # creates the consumer's app once
            app = current_app._get_current_object()
    return app.test_request_context(base_url=app.config["BASE_URL"])
