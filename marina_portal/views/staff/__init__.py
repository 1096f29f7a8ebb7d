"""The capitainerie's back office under /staff: one blueprint, its pages split by subject."""

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


# The pages register their routes on `bp` when imported.
from marina_portal.views.staff import (  # noqa: E402,F401,I001
    session,
    dashboard,
    customers,
    contracts,
    invoices,
    credit_notes,
    invoice_list,
    documents,
    imports,
    settings,
    team,
    fleet,
    direct_debits,
    boats,
    port_life,
)
