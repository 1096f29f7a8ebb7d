"""The billing's scheduled work."""

from huey import crontab

from marina_portal.billing import absence_credits
from marina_portal.core.queue import app_context, huey


@huey.periodic_task(crontab(hour="3", minute="45"))
def daily_absence_credits():
    """After the direct-debit upkeep: credits that waited (a debit or card payment under way) find their invoice."""
    with app_context():
        absence_credits.apply()
