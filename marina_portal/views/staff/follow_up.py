"""Relances at the harbour office: the schedule, the reminders sent, disputes that stop them on an invoice."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.billing import follow_up
from marina_portal.core.formats import paris_today
from marina_portal.models import Customer, Invoice, InvoiceReminder
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404

# The invoice page includes staff/invoices/_follow_up.html, which asks for these.
bp.add_app_template_global(follow_up.history, "follow_up_history")
bp.add_app_template_global(follow_up.active_dispute, "follow_up_dispute")


def _steps_from(form):
    """[(days, kind)] from the rows filled in; ValueError with the words to show."""
    steps = []
    for n in range(1, follow_up.MAX_STEPS + 1):
        days = (form.get(f"days_{n}") or "").strip()
        if not days:
            continue
        if not days.isdigit():
            raise ValueError(f"Ligne {n} : indiquez un nombre de jours, par exemple 15.")
        steps.append((int(days), form.get(f"kind_{n}", "")))
    return steps


def _page(problem=None, rows=None, status=200):
    port = current_port()
    steps = follow_up.schedule(port)
    if rows is None:
        rows = [(s.days_after_due, s.kind) for s in steps] or follow_up.DEFAULT_SCHEDULE
    rows = list(rows) + [("", "reminder")] * (follow_up.MAX_STEPS - len(rows))
    sent = list(
        InvoiceReminder.select(InvoiceReminder, Invoice, Customer)
        .join(Invoice)
        .join(Customer)
        .where(Invoice.port == port)
        .order_by(InvoiceReminder.sent_at.desc(), InvoiceReminder.id.desc())
        .limit(100)
    )
    return render_template(
        "staff/follow_up/index.html",
        rows=rows,
        active=bool(steps),
        kinds=follow_up.KINDS,
        sent=sent,
        waiting=len(follow_up.due(port, paris_today())) if steps else 0,
        form=EmptyForm(formdata=None),
        problem=problem,
    ), status


@bp.route("/reminders", methods=["GET", "POST"])
@staff_required
def reminders():
    if request.method == "GET":
        return _page()
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        steps = _steps_from(request.form)
        changed = follow_up.set_schedule(current_user, current_port(), steps, client_ip())
    except (ValueError, follow_up.Refused) as refusal:
        return _page(
            str(refusal),
            rows=[
                (request.form.get(f"days_{n}", ""), request.form.get(f"kind_{n}", ""))
                for n in range(1, follow_up.MAX_STEPS + 1)
            ],
            status=422,
        )
    flash("Calendrier des relances enregistré." if changed else "Aucun changement.", "success")
    return redirect(url_for("staff.reminders"), code=303)


@bp.route("/reminders/send", methods=["POST"])
@staff_required
def reminders_send():
    """The day's reminders now, without waiting for the morning run (the same rule: each goes out once)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    sent = follow_up.send_due()
    flash(f"{sent} relance(s) envoyée(s)." if sent else "Aucune relance due aujourd'hui.", "success")
    return redirect(url_for("staff.reminders"), code=303)


def _invoice_or_404(invoice_id):
    return port_row_or_404(Invoice, invoice_id)


@bp.route("/invoices/<int:invoice_id>/dispute", methods=["POST"])
@staff_required
def invoice_dispute(invoice_id):
    invoice = _invoice_or_404(invoice_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if request.form.get("close"):
            follow_up.close_dispute(current_user, invoice, client_ip())
            flash("Contestation close : les relances reprennent.", "success")
        else:
            follow_up.open_dispute(current_user, invoice, request.form.get("reason", "")[:500], client_ip())
            flash("Contestation enregistrée : plus de relance tant qu'elle est en cours.", "success")
    except follow_up.Refused as refusal:
        flash(str(refusal), "error")
    return redirect(url_for("staff.invoice", invoice_id=invoice.id), code=303)
