"""Comptabilité at the harbour office: the chart of accounts, and the FEC and CSV exports of a period."""

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marina_portal.accounting import chart, exports, fec
from marina_portal.core.formats import paris_today, parse_french_date
from marina_portal.models import TariffRate
from marina_portal.tariffs import grid
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, client_ip


def _rows(port):
    """(purpose, key, what it is for, account) for every account the page shows, in the plan's order."""
    accounts = chart.Chart(port)
    categories = set(grid.berth_categories(port)) | {
        r.category for r in TariffRate.select(TariffRate.category).distinct()
    }
    rows = [("sales", "", "Ventes (sans catégorie de poste)", accounts.get("sales"))]
    rows += [("sales", c, f"Ventes — {c}", accounts.get("sales", c)) for c in sorted(categories)]
    rows += [
        ("vat", str(r), f"TVA collectée {r / 100:g} %".replace(".", ","), accounts.get("vat", r))
        for r in grid.VAT_RATES
        if r
    ]
    rows += [
        (p, "", chart.PURPOSES[p][2], accounts.get(p)) for p in ("customers", "bank", "cheques", "cash", "credits")
    ]
    return rows


def _period():
    today = paris_today()
    start = parse_french_date(request.args.get("from", "")) or dt.date(today.year, 1, 1)
    end = parse_french_date(request.args.get("to", "")) or today
    return start, end


def _page(problem=None, status=200):
    start, end = _period()
    return render_template(
        "staff/accounting/index.html",
        rows=_rows(current_port()),
        form=EmptyForm(formdata=None),
        start=start,
        end=end,
        problem=problem,
    ), status


@bp.route("/accounting", methods=["GET", "POST"])
@staff_required
def accounting():
    if request.method == "GET":
        return _page()
    if not EmptyForm().validate_on_submit():
        abort(400)
    port, changed = current_port(), 0
    try:
        for purpose, key, _, account in _rows(port):
            number = request.form.get(f"{purpose}:{key}:number", account.number)
            label = request.form.get(f"{purpose}:{key}:label", account.label)
            if (number.strip(), label.strip()) != (account.number, account.label):
                changed += chart.save(current_user, port, purpose, key, number, label, client_ip())
    except chart.Refused as refusal:
        return _page(str(refusal), 422)
    flash(f"Plan comptable enregistré ({changed} compte(s) modifié(s))." if changed else "Aucun changement.", "success")
    return redirect(url_for("staff.accounting"), code=303)


def _checked_period():
    start, end = _period()
    if end < start:
        abort(Response("La fin de la période précède son début.", 422, mimetype="text/plain"))
    return start, end


@bp.route("/accounting/fec")
@staff_required
def accounting_fec():
    start, end = _checked_period()
    port = current_port()
    body = "".join(line + "\n" for line in fec.lines(port, start, end))
    return Response(
        body,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{fec.file_name(port, end)}"'},
    )


def _csv(kind):
    start, end = _checked_period()
    body = (exports.sales_csv if kind == "sales" else exports.receipts_csv)(current_port(), start, end)
    name = {"sales": "ventes", "receipts": "reglements"}[kind]
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-{start.isoformat()}-{end.isoformat()}.csv"'},
    )


@bp.route("/accounting/sales.csv")
@staff_required
def accounting_sales_csv():
    return _csv("sales")


@bp.route("/accounting/receipts.csv")
@staff_required
def accounting_receipts_csv():
    return _csv("receipts")
