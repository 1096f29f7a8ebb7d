"""Mailed links become opaque: what a link is for is kept in the database, the link holds a random key."""

from marina_portal.models import MailedLink


def apply(db):
    db.create_tables([MailedLink], safe=True)
