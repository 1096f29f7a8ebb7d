"""Direct debit's scheduled work."""

from huey import crontab

from marina_portal.core.formats import paris_today
from marina_portal.core.queue import app_context, huey
from marina_portal.sepa.collection import settle
from marina_portal.sepa.mandates import lapse_dormant


@huey.periodic_task(crontab(hour="3", minute="30"))
def daily_direct_debit_upkeep():
    """Lapse mandates unused for 36 months; debits a week past their date count as collected."""
    with app_context():
        lapse_dormant(paris_today())
        settle()
