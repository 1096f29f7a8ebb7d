"""E-invoicing at the harbour office: the month's business invoices sent in one action, their lifecycle status,
the rejected ones to correct by credit note, public buyers (Chorus Pro), suppliers' invoices received, and the
e-reporting file of a period."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.core.formats import paris_today
from marina_portal.einvoicing import ereporting, receiving, sending
from marina_portal.models import Customer, EinvoiceSubmission, IncomingInvoice
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.receipts import pdf_response
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, port_row_or_404


def _this_month():
    return paris_today().strftime("%Y-%m")


def _held_back(port, month):
    try:
        return sending.held_back(port, month)
    except sending.Refused:
        return []  # a month typed wrong: the page says so already


def _page(problem=None, status=200, month=None):
    port = current_port()
    month = month or request.args.get("month") or _this_month()
    return render_template(
        "staff/einvoicing/index.html",
        form=EmptyForm(formdata=None),
        month=month,
        held=_held_back(port, month),
        submissions=sending.submissions(port),
        to_correct=sending.to_correct(port),
        periods=ereporting.PERIODS,
        port=port,
        problem=problem,
    ), status


@bp.route("/einvoicing")
@staff_required
def einvoicing_page():
    return _page()


@bp.post("/einvoicing/send")
@staff_required
def einvoicing_send():
    if not EmptyForm().validate_on_submit():
        abort(400)
    month = request.form.get("month", "")
    try:
        sent, problems = sending.send_month(current_port(), month, current_user)
    except sending.Refused as refusal:
        return _page(str(refusal), 422, month=month)
    if not sent and not problems:
        flash(f"Aucune facture professionnelle du mois {month} n'attend d'être envoyée.", "info")
    else:
        flash(f"{len(sent)} document(s) déposé(s) pour la plateforme.", "success")
    for problem in problems:
        flash(problem, "error")
    return redirect(url_for("staff.einvoicing_page", month=month), code=303)


@bp.post("/einvoicing/read-back")
@staff_required
def einvoicing_read_back():
    if not EmptyForm().validate_on_submit():
        abort(400)
    changed, problems = sending.read_back()
    kept, more = receiving.collect()
    flash(f"{changed} statut(s) mis à jour, {kept} facture(s) fournisseur reçue(s).", "success")
    for problem in problems + more:
        flash(problem, "error")
    return redirect(url_for("staff.einvoicing_page"), code=303)


@bp.route("/einvoicing/<int:submission_id>")
@staff_required
def einvoicing_submission(submission_id):
    submission = port_row_or_404(EinvoiceSubmission, submission_id)
    return render_template(
        "staff/einvoicing/submission.html",
        submission=submission,
        doc=submission.invoice if submission.invoice_id else submission.credit_note,
        events=sending.history(submission),
    )


@bp.route("/einvoicing/period", methods=["POST"])
@staff_required
def einvoicing_period():
    if not EmptyForm().validate_on_submit():
        abort(400)
    period = request.form.get("ereporting_period", "")
    if period not in ereporting.PERIODS:
        return _page("Choisissez la périodicité : décade, mois ou deux mois.", 422)
    port = current_port()
    port.ereporting_period = period
    port.save()
    flash(f"Périodicité de l'e-reporting : {ereporting.PERIODS[period].lower()}.", "success")
    return redirect(url_for("staff.einvoicing_page"), code=303)


@bp.route("/einvoicing/ereporting")
@staff_required
def einvoicing_ereporting():
    month = request.args.get("period", "")
    try:
        body = ereporting.export(current_port(), month)
    except sending.Refused as refusal:
        return _page(str(refusal), 422, month=month)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="e-reporting-{month.strip()}.json"'},
    )


@bp.route("/customers/<int:customer_id>/public-buyer", methods=["GET", "POST"])
@staff_required
def public_buyer(customer_id):
    customer = port_row_or_404(Customer, customer_id)
    buyer = sending.public_buyer(customer)
    problem, status = None, 200
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        try:
            saved = sending.save_public_buyer(
                customer,
                request.form.get("siret", ""),
                request.form.get("service_code", ""),
                request.form.get("engagement", ""),
            )
        except sending.Refused as refusal:
            problem, status = str(refusal), 422
        else:
            flash(
                "Client enregistré comme acheteur public (Chorus Pro)." if saved else "Client retiré de Chorus Pro.",
                "success",
            )
            return redirect(url_for("staff.public_buyer", customer_id=customer.id), code=303)
    return render_template(
        "staff/einvoicing/public_buyer.html",
        customer=customer,
        buyer=buyer,
        values=request.form if request.method == "POST" else None,
        form=EmptyForm(formdata=None),
        problem=problem,
    ), status


@bp.route("/einvoicing/received")
@staff_required
def einvoicing_received():
    return render_template("staff/einvoicing/received.html", rows=receiving.received(current_port()))


@bp.route("/einvoicing/received/<int:incoming_id>.pdf")
@staff_required
def einvoicing_received_pdf(incoming_id):
    incoming = port_row_or_404(IncomingInvoice, incoming_id)
    try:
        data = receiving.pdf_of(incoming)
    except (OSError, ValueError):
        abort(404)
    return pdf_response(data, f"fournisseur-{incoming.id}.pdf")
