"""Accounts' background work: the mailed link of a first login or a forgotten password.

The page only queues the address; looking it up, making the link and rendering the mail happen here, so
the page answers in the same time whether the address is known or not (no timing to learn it from).
"""

from marina_portal.accounts import logins
from marina_portal.core.queue import app_context, huey, request_context


@huey.task(retries=2, retry_delay=60)
def mail_password_link(email):
    with app_context(), request_context():
        logins.request_password_link(email)
