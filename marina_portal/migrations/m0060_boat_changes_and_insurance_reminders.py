"""Boat and papers: boat changes awaiting approval, and insurance reminders with their recipients."""

from marina_portal.models import BoatChange, InsuranceReminder, InsuranceReminderMail


def apply(db):
    # A new database already has them (m0001 creates every model's table); an older one gets them here.
    db.create_tables([BoatChange, InsuranceReminder, InsuranceReminderMail], safe=True)
