"""Correcting an issued invoice at the harbour office: a credit note (whole, by line, by amount), then a refund."""

from flask import flash, redirect, request, url_for
from flask_login import current_user

from marina_portal.billing import credit_notes, invoicing
from marina_portal.core.formats import parse_decimal
from marina_portal.views.access import staff_required
from marina_portal.views.staff.forms import CreditNoteForm, RefundForm
from marina_portal.views.staff.frame import bp, client_ip
from marina_portal.views.staff.invoices import invoice_or_404, render_invoice


def _quantities(invoice):
    """{line id: thousandths} from the `qty-<line id>` fields, or None with the message for a bad one."""
    found = {}
    for line in invoice.lines:
        raw = (request.form.get(f"qty-{line.id}") or "").strip()
        if not raw:
            continue
        value = parse_decimal(raw, 3)
        if value is None or value < 0:
            return None, f"« {line.description} » : saisissez une quantité, par exemple 1 ou 2,5."
        found[line.id] = value
    if not any(found.values()):
        return None, "Indiquez la quantité à créditer d'au moins une ligne."
    return found, None


@bp.route("/invoices/<int:invoice_id>/credit-notes", methods=["POST"])
@staff_required
def credit_note_new(invoice_id):
    row = invoice_or_404(invoice_id)
    form = CreditNoteForm()
    if not form.validate_on_submit():
        return render_invoice(row, credit_form=form, status=422)
    quantities, problem = (None, None)
    if form.mode.data == "lines":
        quantities, problem = _quantities(row)
        if problem:
            return render_invoice(row, credit_form=form, credit_problem=problem, status=422)
    try:
        note = credit_notes.issue_credit_note(
            current_user,
            row,
            form.reason.data,
            quantities=quantities,
            amount_cents=form.amount_cents,
            vat_rate_bp=int(form.vat_rate.data),
            ip=client_ip(),
        )
    except invoicing.Refused as refusal:
        return render_invoice(row, credit_form=form, credit_problem=str(refusal), status=422)
    flash(f"Avoir {note.number} émis sur la facture {row.number}.", "success")
    return redirect(url_for("staff.invoice", invoice_id=row.id), code=303)


@bp.route("/invoices/<int:invoice_id>/refunds", methods=["POST"])
@staff_required
def refund_record(invoice_id):
    row = invoice_or_404(invoice_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return render_invoice(row, refund_form=form, status=422)
    try:
        invoicing.record_refund(
            current_user, row.id, form.amount_cents, form.paid_on.data, form.refund_how.data, client_ip()
        )
    except invoicing.Refused as refusal:
        return render_invoice(row, refund_form=form, credit_problem=str(refusal), status=422)
    flash("Remboursement enregistré.", "success")
    return redirect(url_for("staff.invoice", invoice_id=row.id), code=303)
