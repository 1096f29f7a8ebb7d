"""Login sessions kept on the server, so that logout and idle timeouts end a session for good."""

from marina_portal.models import LoginSession


def apply(db):
    db.create_tables([LoginSession], safe=True)
