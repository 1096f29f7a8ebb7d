"""COMPTE CLIENT: the boater's invoices with what is paid and what is due, and each invoice as a PDF."""

from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required

from marina_portal.billing import statement as billing
from marina_portal.contracts import berth_contracts
from marina_portal.models import CreditNote, Invoice
from marina_portal.port_life import absences
from marina_portal.sepa import planned
from marina_portal.views.access import boater_required, owned_or_404

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
@boater_required
def show():
    return render_template(
        "account/show.html",
        statement=billing.statement(current_user.customer_id),
        credit_cents=absences.customer_credit_cents(current_user.customer_id),
        credit_notes=billing.credit_notes_of(current_user.customer_id),
        plan=planned.for_customer(current_user.customer_id),
        offer_mandate=berth_contracts.has_contract(current_user.customer_id),
    )


@bp.route("/invoices/<int:invoice_id>/pdf")
@login_required
def invoice_pdf(invoice_id):
    invoice = owned_or_404(Invoice, invoice_id)
    return Response(
        billing.invoice_pdf(invoice.id),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{billing.pdf_filename(invoice)}"',
        },
    )


@bp.route("/credit-notes/<int:note_id>/pdf")
@login_required
def credit_note_pdf(note_id):
    note = owned_or_404(CreditNote, note_id)
    return Response(
        billing.credit_note_pdf(note.id),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{billing.credit_note_filename(note)}"'},
    )
