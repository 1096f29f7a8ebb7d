"""The background worker's entry point: `huey_consumer marina_portal.worker.huey` runs every feature's tasks.

Each import below registers the tasks of one module on the queue (hence the noqa: they are imported for that);
tests/test_worker.py checks that every module defining a task is here.
"""

from marina_portal import create_app
from marina_portal.accounts import tasks as accounts_tasks  # noqa: F401
from marina_portal.billing import (
    statement,  # noqa: F401
    yearly_run,  # noqa: F401
)
from marina_portal.billing import tasks as billing_tasks  # noqa: F401
from marina_portal.boats import papers  # noqa: F401
from marina_portal.core import mail, queue  # noqa: F401
from marina_portal.port_life import news  # noqa: F401
from marina_portal.port_life import tasks as port_life_tasks  # noqa: F401
from marina_portal.sepa import tasks as sepa_tasks  # noqa: F401

queue.use_app_factory(create_app)
huey = queue.huey
