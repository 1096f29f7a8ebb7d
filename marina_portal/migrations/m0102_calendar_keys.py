"""The berth calendar feed: one revocable key per staff member instead of one signed key for all."""

from marina_portal.models import CalendarKey


def apply(db):
    db.create_tables([CalendarKey], safe=True)
