"""htmx: the one rule for whether a request wants a fragment of a page or the whole page."""

from flask import request


def is_fragment_request() -> bool:
    """True for an htmx request that swaps part of a page. A boosted link swaps the whole body and a history
    restore (htmx's cache missed) rebuilds the whole page: both get the full page, like a request without htmx."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )
