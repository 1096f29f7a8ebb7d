"""Port life's scheduled work."""

from huey import crontab

from marina_portal.core.queue import huey, request_context
from marina_portal.port_life import waiting_list


@huey.periodic_task(crontab(hour="7", minute="0"))
def waiting_list_daily():
    """Every morning: offers past their deadline, yearly confirmation reminders, then lapses."""
    with request_context():
        waiting_list.run_daily()
