"""The staff blueprint every /staff page registers on, and what those pages share."""

from flask import Blueprint, request

bp = Blueprint("staff", __name__, url_prefix="/staff")


def client_ip():
    return request.remote_addr or ""


def is_fragment_request():
    """An htmx request that is not boosted gets a fragment; everything else (history restore too) a full page."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )
