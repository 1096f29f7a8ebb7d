"""Invoices and payments at the harbour office: create an invoice, record a payment, cancel one."""

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.billing import invoicing
from marina_portal.billing.absence_credits import NON_CASH_METHODS
from marina_portal.core.formats import euros, paris_today, parse_euros, parse_french_date
from marina_portal.models import Contract, Customer, Invoice, Payment
from marina_portal.views.access import staff_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.forms import CancelPaymentForm, InvoiceForm, PaymentForm
from marina_portal.views.staff.frame import bp, client_ip


def _invoice_or_404(invoice_id):
    invoice = Invoice.with_paid().where((Invoice.id == invoice_id) & (Invoice.port == current_port())).first()
    if invoice is None:
        abort(404)
    return invoice


def _lines(form):
    """Filled line rows as invoicing.Line, or None after putting the errors on the form."""
    lines, ok = [], True
    for entry in form.lines.entries:
        sub = entry.form
        if not sub.description.data and not sub.unit_price.data:
            continue
        quantity = parse_euros(sub.quantity.data or "1")
        price = parse_euros(sub.unit_price.data)
        if not sub.description.data:
            sub.description.errors = ["Indiquez la désignation."]
            ok = False
        if quantity is None or quantity <= 0:
            sub.quantity.errors = ["Saisissez une quantité, par exemple 1 ou 2,5."]
            ok = False
        if price is None:
            sub.unit_price.errors = ["Saisissez un prix en euros, par exemple 120,00."]
            ok = False
        if ok:
            lines.append(invoicing.Line(sub.description.data, quantity * 10, price, int(sub.vat_rate.data)))
    return lines if ok else None


@bp.route("/customers/<int:customer_id>/invoices/new", methods=["GET", "POST"])
@staff_required
def invoice_new(customer_id):
    customer = Customer.get_or_none((Customer.id == customer_id) & (Customer.port == current_port()))
    if customer is None:
        abort(404)
    form = InvoiceForm()
    form.set_contracts(list(customer.contracts.order_by(Contract.starts_on.desc())))
    if not form.is_submitted():
        form.issued_on.data = paris_today()
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
                )
            except invoicing.Refused as refusal:
                problem = str(refusal)
            else:
                deducted = invoice.absence_credit_cents
                flash(
                    f"Facture {invoice.number} créée."
                    + (f" Crédit absence déduit : {euros(deducted)}." if deducted else ""),
                    "success",
                )
                return redirect(url_for("staff.invoice", invoice_id=invoice.id), code=303)
    return render_template("staff/invoices/new.html", customer=customer, form=form, problem=problem)


def _show(invoice, payment_form=None, problem=None, status=200):
    if payment_form is None:
        payment_form = PaymentForm(formdata=None, received_on=paris_today())
    payments = list(invoice.payments.order_by(Payment.received_on, Payment.id))
    return render_template(
        "staff/invoices/show.html",
        invoice=invoice,
        lines=list(invoice.lines),
        payments=payments,
        form=payment_form,
        card=invoicing.card_under_way(invoice.id),
        methods=invoicing.METHOD_LABELS,
        problem=problem,
    ), status


@bp.route("/invoices/<int:invoice_id>")
@staff_required
def invoice(invoice_id):
    return _show(_invoice_or_404(invoice_id))


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
@staff_required
def payment_record(invoice_id):
    row = _invoice_or_404(invoice_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        return _show(row, form, status=422)
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
        return _show(row, form, str(refusal), status=422)
    flash("Règlement enregistré.", "success")
    return redirect(url_for("staff.invoice", invoice_id=row.id), code=303)


@bp.route("/payments/<int:payment_id>/cancel", methods=["POST"])
@staff_required
def payment_cancel(payment_id):
    payment = (
        Payment.select(Payment)
        .join(Invoice)
        .where((Payment.id == payment_id) & (Invoice.port == current_port()))
        .first()
    )
    if payment is None:
        abort(404)
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
