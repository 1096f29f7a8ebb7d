"""Links that leave the site (mails, bank returns, calendar feeds) and the hosts the portal answers to.

Both come from BASE_URL and never from the request's Host header, which the visitor chooses: a
forgotten-password mail asked for with `Host: evil.example` must still point at the real portal.
"""

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of an endpoint on the public site named by BASE_URL (needs only an app context)."""
    app = current_app
    parts = urlsplit(app.config["BASE_URL"])
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme)
    app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def base_host(base_url: str) -> str:
    return (urlsplit(base_url).hostname or "").lower()


def trusted_hosts(base_url: str, extra: str | Iterable[str] | None = None) -> list[str]:
    """BASE_URL's host, the extra names an installer lists (EXTRA_HOSTS), and on a loopback
    address its other spellings (127.0.0.1 and localhost are the same development machine)."""
    if isinstance(extra, str):
        extra = [name for name in extra.replace(" ", ",").split(",") if name]
    hosts = [base_host(base_url)] + [str(name).lower() for name in (extra or [])]
    if hosts[0] in LOOPBACK:
        hosts += list(LOOPBACK)
    return list(dict.fromkeys(name for name in hosts if name))
