"""The staff blueprint every /staff page registers on, and what those pages share."""

from flask import Blueprint, abort, request

from marina_portal.views.shell import current_port

bp = Blueprint("staff", __name__, url_prefix="/staff")


def client_ip():
    return request.remote_addr or ""


def port_row_or_404(model, row_id, query=None, port_field=None):
    """The row of `model` with that id if it belongs to this port, else 404: staff never reach another port's rows.
    `query` selects it (joins, annotations) when the port is reached through another table, named by `port_field`."""
    query = model.select() if query is None else query
    port_field = model.port if port_field is None else port_field
    row = query.where((model.id == row_id) & (port_field == current_port())).first()
    if row is None:
        abort(404)
    return row
