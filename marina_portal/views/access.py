"""The one place that decides whether the logged-in person may see a row: staff all, a boater theirs."""

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user, login_required


def owned_or_404(model, row_id, customer_field=None):
    """The row with that id if the current user may see it; 404 otherwise (no hint that it exists)."""
    row = model.get_or_none(model.id == row_id)
    if row is None or not may_see(row, customer_field):
        abort(404)
    return row


def may_see(row, customer_field=None):
    if not current_user.is_authenticated:
        return False
    if current_user.is_staff:
        return True
    if getattr(row, "is_draft", False):
        return False  # a draft invoice is the harbour office's until it is issued
    owner_id = getattr(row, f"{customer_field or 'customer'}_id", None)
    return owner_id is not None and owner_id == current_user.customer_id


def boater_required(view):
    """A page for a logged-in boater (a staff login has no customer of its own)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.customer_id is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def staff_required(view):
    """A harbour-office page: anonymous to the staff login, a boater refused (403)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """A page for the port's administrator only (staff settings, bank terminal)."""

    @wraps(view)
    @staff_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
