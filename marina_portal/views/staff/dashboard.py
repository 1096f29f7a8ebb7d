"""The dashboard: what is due, what is late, what is signed, what came in."""

from flask import render_template

from marina_portal.dashboard import figures as board
from marina_portal.views.access import staff_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp


@bp.route("/", endpoint="dashboard")
@staff_required
def show_dashboard():
    port = current_port()
    return render_template(
        "staff/dashboard.html", figures=board.figures(port), chart=board.bar_chart(board.monthly_payments(port))
    )


@bp.route("/online-payments")
@staff_required
def online_payments():
    attempts, notifications = board.online_watch(current_port())
    return render_template(
        "staff/online_payments.html",
        attempts=attempts,
        notifications=notifications,
        overpaid=board.overpaid(current_port()),
    )
