"""gunicorn's settings for the portal, read by itself when started in this folder (`gunicorn wsgi:app`).

Behind Caddy or nginx every request comes from the proxy's 127.0.0.1: the access log shows the visitor's
address instead, taken from X-Forwarded-For exactly as the portal takes it (TRUSTED_PROXIES entries from
the right, the ones the proxies added), from the same settings (instance/config.py, instance/portal.env,
MARINA_* variables). A visitor's own X-Forwarded-For entries, further left, are never believed.
"""

from gunicorn.glogging import Logger

from marina_portal.core.config import settings

TRUSTED_PROXIES = int(settings().get("TRUSTED_PROXIES") or 0)


def visitor_address(environ, trusted=TRUSTED_PROXIES):
    forwarded = [part.strip() for part in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if trusted > 0 and len(forwarded) >= trusted:
        return forwarded[-trusted]
    return environ.get("REMOTE_ADDR", "-")


class VisitorAccessLog(Logger):
    """The access log's first column (%(h)s) is the visitor's address, not the proxy's."""

    def atoms(self, resp, req, environ, request_time):
        found = super().atoms(resp, req, environ, request_time)
        found["h"] = visitor_address(environ)
        return found


logger_class = VisitorAccessLog
