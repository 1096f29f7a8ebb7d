"""Login sessions on the server side: logout, an idle timeout or a staff session's age ends one for good.

The session cookie is signed, so nobody can make one up, but a copied cookie would otherwise work for as
long as it is kept. Each login therefore opens a LoginSession row that the cookie names; the row is
checked on every request and ended at logout.
"""

import datetime as dt

from marina_portal.models import LoginSession, utcnow

BOATER_IDLE = dt.timedelta(hours=2)
REMEMBERED_IDLE = dt.timedelta(days=30)  # « Rester connecté » ticked
STAFF_IDLE = dt.timedelta(minutes=30)
STAFF_LIFETIME = dt.timedelta(hours=12)
REMEMBERED_LIFETIME = REMEMBERED_IDLE
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen_at is written at most this often (one write, not one per page)


def open_for(user, remember=False):
    """A new session for a login; staff are never remembered."""
    return LoginSession.create(user=user.id, remember=bool(remember) and not user.is_staff)


def _limits(user, login):
    if user.is_staff:
        return STAFF_IDLE, STAFF_LIFETIME
    if login.remember:
        return REMEMBERED_IDLE, REMEMBERED_LIFETIME
    return BOATER_IDLE, None


def still_open(login, user, now=None):
    """True while the session may be used (and then its last use is recorded); False once ended or timed out."""
    now = now or utcnow()
    if login.ended_at is not None:
        return False
    idle, lifetime = _limits(user, login)
    if now - login.last_seen_at > idle or (lifetime is not None and now - login.started_at > lifetime):
        end(login.id, now)
        return False
    if now - login.last_seen_at > TOUCH_EVERY:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == login.id).execute()
    return True


def end(login_id, now=None):
    if login_id:
        LoginSession.update(ended_at=now or utcnow()).where(
            (LoginSession.id == login_id) & LoginSession.ended_at.is_null()
        ).execute()


def cookie_lifetime(user, remember):
    """How long the browser keeps the cookie: a remembered boater's 30 days, else until the browser closes."""
    return REMEMBERED_LIFETIME if remember and not user.is_staff else None
