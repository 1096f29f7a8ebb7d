"""The billing's scheduled work."""

from huey import crontab

from marina_portal.billing import absence_credits, follow_up
from marina_portal.core.queue import app_context, huey


@huey.periodic_task(crontab(hour="3", minute="45"))
def daily_absence_credits():
    """After the direct-debit upkeep: credits that waited (a debit or card payment under way) find their invoice."""
    with app_context():
        absence_credits.apply()


@huey.periodic_task(crontab(hour="7", minute="30"))
def daily_reminders():
    """Each morning, the reminders the port's schedule says are due today (see billing/follow_up.py)."""
    with app_context():
        follow_up.send_due()
