"""Cheque deposit slips (bordereaux de remise) at the harbour office; receipts are in views/receipts.py."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.billing import receipts
from marina_portal.core.formats import paris_today, parse_french_date
from marina_portal.models import ChequeDeposit
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.receipts import pdf_response
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404


def _deposit_page(problem=None, status=200):
    port = current_port()
    return render_template(
        "staff/receipts/deposits.html",
        cheques=receipts.cheques_to_deposit(port),
        deposits=receipts.deposits(port),
        form=EmptyForm(formdata=None),
        today=paris_today(),
        problem=problem,
    ), status


@bp.route("/cheque-deposits", methods=["GET", "POST"])
@staff_required
def cheque_deposits():
    if request.method == "GET":
        return _deposit_page()
    if not EmptyForm().validate_on_submit():
        abort(400)
    deposited_on = parse_french_date(request.form.get("deposited_on", ""))
    if deposited_on is None:
        return _deposit_page("Saisissez la date de remise, par exemple 15/01/2027.", 422)
    ids = [i for i in request.form.getlist("payment") if i.isdigit()]
    try:
        deposit = receipts.create_deposit(current_user, current_port(), ids, deposited_on, client_ip())
    except receipts.Refused as refusal:
        return _deposit_page(str(refusal), 422)
    flash(f"Bordereau n° {deposit.id} créé : {len(ids)} chèque(s).", "success")
    return redirect(url_for("staff.cheque_deposits"), code=303)


@bp.route("/cheque-deposits/<int:deposit_id>.pdf")
@staff_required
def cheque_deposit_pdf(deposit_id):
    deposit = port_row_or_404(ChequeDeposit, deposit_id)
    return pdf_response(receipts.deposit_pdf(deposit), f"bordereau-remise-{deposit.id}.pdf")
