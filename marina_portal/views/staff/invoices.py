"""Invoices and payments at the harbour office: draft, edit, issue or delete an invoice, record or cancel a payment."""

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.billing import credit_notes, invoicing, legal, schedules
from marina_portal.billing.absence_credits import NON_CASH_METHODS
from marina_portal.core.formats import euros, paris_today, parse_decimal, parse_french_date, quantity, unit_price
from marina_portal.models import Contract, CreditNote, Customer, Invoice, InvoiceLine, Payment
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.shell import current_port
from marina_portal.views.staff.forms import CancelPaymentForm, CreditNoteForm, InvoiceForm, PaymentForm, RefundForm
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404

MAX_QUANTITY = 1_000_000_000  # a million units, in thousandths
MAX_PRICE = 10_000_000_000  # a million euros, in 1/10000 €


def invoice_or_404(invoice_id):
    return port_row_or_404(Invoice, invoice_id, Invoice.with_paid())


def _lines(form):
    """Filled line rows as invoicing.Line, or None after putting the errors on the form."""
    lines, ok = [], True
    for entry in form.lines.entries:
        sub = entry.form
        if not sub.description.data and not sub.unit_price.data:
            continue
        quantity = parse_decimal(sub.quantity.data or "1", 3)
        price = parse_decimal(sub.unit_price.data, 4)
        if not sub.description.data:
            sub.description.errors = ["Indiquez la désignation."]
            ok = False
        if quantity is None or quantity <= 0 or quantity > MAX_QUANTITY:
            sub.quantity.errors = ["Saisissez une quantité, par exemple 1 ou 312,5 (3 décimales au plus)."]
            ok = False
        if price is None or price < 0 or price > MAX_PRICE:
            sub.unit_price.errors = ["Saisissez un prix en euros, par exemple 120,00 ou 0,2316 (4 décimales au plus)."]
            ok = False
        if ok:
            lines.append(
                invoicing.Line(
                    sub.description.data,
                    quantity,
                    vat_rate_bp=int(sub.vat_rate.data),
                    unit_price_e4=price,
                    unit=sub.unit.data or "",
                )
            )
    return lines if ok else None


def _fill_lines(form, invoice):
    for entry, line in zip(form.lines.entries, invoice.lines.order_by(InvoiceLine.position)):
        sub = entry.form
        sub.description.data, sub.unit.data = line.description, line.unit
        sub.quantity.data, sub.unit_price.data = quantity(line.quantity_milli), unit_price(line.price_e4, symbol=False)
        sub.vat_rate.data = str(line.vat_rate_bp)


@bp.route("/customers/<int:customer_id>/invoices/new", methods=["GET", "POST"])
@staff_required
def invoice_new(customer_id):
    customer = port_row_or_404(Customer, customer_id)
    form = InvoiceForm()
    form.set_contracts(list(customer.contracts.order_by(Contract.starts_on.desc())))
    if not form.is_submitted():
        form.issued_on.data = paris_today()
        if not legal.charges_vat(customer.port):
            for entry in form.lines.entries:
                entry.form.vat_rate.data = "0"
    problem = None
    if form.validate_on_submit():
        lines = _lines(form)
        if lines is not None:
            try:
                invoice = invoicing.create_invoice(
                    current_user,
                    customer,
                    form.number.data,
                    form.issued_on.data,
                    form.due_on.data,
                    form.label.data,
                    lines,
                    client_ip(),
                    int(form.contract.data) if form.contract.data else None,
                    form.service_from.data,
                    form.service_to.data,
                )
            except invoicing.Refused as refusal:
                problem = str(refusal)
            else:
                if invoice.is_draft:
                    flash("Brouillon enregistré : vérifiez-le, puis émettez-le pour lui donner son numéro.", "success")
                else:
                    deducted = invoice.absence_credit_cents
                    flash(
                        f"Facture {invoice.number} créée."
                        + (f" Crédit absence déduit : {euros(deducted)}." if deducted else ""),
                        "success",
                    )
                return redirect(url_for("staff.invoice", invoice_id=invoice.id), code=303)
    return render_template("staff/invoices/new.html", customer=customer, form=form, problem=problem, invoice=None), (
        422 if form.is_submitted() else 200
    )


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
@staff_required
def invoice_edit(invoice_id):
    row = invoice_or_404(invoice_id)
    if not row.is_draft:
        flash("Une facture émise ne se modifie plus : corrigez-la par un avoir.", "error")
        return redirect(url_for("staff.invoice", invoice_id=row.id), code=303)
    form = InvoiceForm(obj=row)
    form.set_contracts(list(row.customer.contracts.order_by(Contract.starts_on.desc())))
    form.contract.data = str(row.contract_id or "")  # not edited here: fixed when the draft was made
    if not form.is_submitted():
        _fill_lines(form, row)
    problem = None
    if form.validate_on_submit():
        lines = _lines(form)
        if lines is not None:
            try:
                invoicing.update_draft(
                    current_user,
                    row,
                    form.label.data,
                    lines,
                    form.due_on.data,
                    form.service_from.data,
                    form.service_to.data,
                    client_ip(),
                )
            except invoicing.Refused as refusal:
                problem = str(refusal)
            else:
                flash("Brouillon enregistré.", "success")
                return redirect(url_for("staff.invoice", invoice_id=row.id), code=303)
    return render_template("staff/invoices/new.html", customer=row.customer, form=form, problem=problem, invoice=row), (
        422 if form.is_submitted() else 200
    )


@bp.route("/invoices/<int:invoice_id>/issue", methods=["POST"])
@staff_required
def invoice_issue(invoice_id):
    row = invoice_or_404(invoice_id)
    if EmptyForm().validate_on_submit():
        try:
            invoice = invoicing.issue(row, current_user, ip=client_ip())
        except invoicing.Refused as refusal:
            flash(str(refusal), "error")
        else:
            deducted = invoice.absence_credit_cents
            flash(
                f"Facture {invoice.number} émise."
                + (f" Crédit absence déduit : {euros(deducted)}." if deducted else ""),
                "success",
            )
    return redirect(url_for("staff.invoice", invoice_id=row.id), code=303)


@bp.route("/invoices/<int:invoice_id>/delete", methods=["POST"])
@staff_required
def invoice_delete(invoice_id):
    row = invoice_or_404(invoice_id)
    if EmptyForm().validate_on_submit():
        try:
            invoicing.delete_draft(current_user, row, client_ip())
        except invoicing.Refused as refusal:
            flash(str(refusal), "error")
        else:
            flash("Brouillon supprimé.", "success")
            return redirect(url_for("staff.customer", customer_id=row.customer_id), code=303)
    return redirect(url_for("staff.invoice", invoice_id=row.id), code=303)


def render_invoice(
    invoice, payment_form=None, problem=None, status=200, credit_form=None, refund_form=None, credit_problem=None
):
    if payment_form is None:
        payment_form = PaymentForm(formdata=None, received_on=paris_today())
    payments = list(invoice.payments.order_by(Payment.received_on, Payment.id))
    return render_template(
        "staff/invoices/show.html",
        invoice=invoice,
        lines=list(invoice.lines.order_by(InvoiceLine.position, InvoiceLine.id)),
        payments=payments,
        form=payment_form,
        card=invoicing.card_under_way(invoice.id),
        methods=invoicing.METHOD_LABELS,
        problem=problem,
        credit_notes=list(invoice.credit_notes.order_by(CreditNote.issued_on, CreditNote.id)),
        left=None if invoice.is_draft else credit_notes.left_to_credit(invoice),
        credit_form=credit_form or CreditNoteForm(formdata=None),
        refund_form=refund_form or RefundForm(formdata=None, paid_on=paris_today()),
        credit_problem=credit_problem,
        empty_form=EmptyForm(),
        missing=legal.missing_identity(invoice.port) if invoice.is_draft else [],
        instalments=schedules.shown(invoice),
        owed_today=schedules.owed_by(invoice, paris_today()),
    ), status


@bp.route("/invoices/<int:invoice_id>")
@staff_required
def invoice(invoice_id):
    return render_invoice(invoice_or_404(invoice_id))


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
@staff_required
def payment_record(invoice_id):
    row = invoice_or_404(invoice_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        return render_invoice(row, form, status=422)
    try:
        invoicing.record_payment(
            current_user,
            row.id,
            form.method.data,
            form.amount_cents,
            form.received_on.data,
            form.reference.data,
            client_ip(),
        )
    except invoicing.Refused as refusal:
        return render_invoice(row, form, str(refusal), status=422)
    flash("Règlement enregistré.", "success")
    return redirect(url_for("staff.invoice", invoice_id=row.id), code=303)


@bp.route("/payments/<int:payment_id>/cancel", methods=["POST"])
@staff_required
def payment_cancel(payment_id):
    payment = port_row_or_404(Payment, payment_id, Payment.select(Payment).join(Invoice), Invoice.port)
    form = CancelPaymentForm()
    if not form.validate_on_submit():
        flash("Indiquez le motif de l'annulation.", "error")
    else:
        try:
            invoicing.cancel_payment(current_user, payment, form.reason.data, client_ip())
            flash("Règlement annulé.", "success")
        except invoicing.Refused as refusal:
            flash(str(refusal), "error")
    return redirect(url_for("staff.invoice", invoice_id=payment.invoice_id), code=303)


@bp.route("/payments")
@staff_required
def payment_list():
    """Payments received over a period, e.g. the cheques to take to the bank, with their total."""
    today = paris_today()
    start = parse_french_date(request.args.get("from", "")) or today - dt.timedelta(days=30)
    end = parse_french_date(request.args.get("to", "")) or today
    method = request.args.get("method", "")
    method = method if method in invoicing.METHOD_LABELS else ""
    rows, total = invoicing.received_between(current_port(), start, end, method)
    return render_template(
        "staff/invoices/payments.html",
        payments=rows,
        total=total,
        start=start,
        end=end,
        method=method,
        methods=invoicing.METHOD_LABELS,
        non_cash=NON_CASH_METHODS,
    )
