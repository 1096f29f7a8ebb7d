"""Every invoice of the port for the harbour office: filters, sort, the selection's totals, CSV export."""

from flask import Response, render_template, request

from marina_portal.billing import invoice_list
from marina_portal.core.formats import paris_today
from marina_portal.einvoicing import sending
from marina_portal.views.access import staff_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp


@bp.route("/invoices", endpoint="invoice_list")
@staff_required
def invoice_list_page():
    port, today = current_port(), paris_today()
    filters = invoice_list.Filters.from_args(request.args)
    rows, totals, pages = invoice_list.page(port, filters, today)
    return render_template(
        "staff/invoices/index.html",
        rows=rows,
        totals=totals,
        pages=pages,
        filters=filters,
        today=today,
        states=invoice_list.STATES,
        sorts=invoice_list.SORTS,
        categories=invoice_list.categories(port),
        no_contract=invoice_list.NO_CONTRACT,
        state_of=invoice_list.state_of,
        einvoice=sending.status_by_invoice([row.id for row in rows]),
    )


@bp.route("/invoices.csv")
@staff_required
def invoice_list_csv():
    port, today = current_port(), paris_today()
    filters = invoice_list.Filters.from_args(request.args)
    body = invoice_list.to_csv(invoice_list.CSV_HEADER, invoice_list.csv_rows(port, filters, today))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="factures-{today.isoformat()}.csv"'},
    )
