"""The CSV import page: a dry run first by default, then the same file applied all at once."""

from flask import render_template, request
from flask_login import current_user

from marina_portal.imports import importing
from marina_portal.imports.kinds import KINDS
from marina_portal.views.access import staff_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.forms import KIND_LABELS, ImportForm
from marina_portal.views.staff.frame import bp, client_ip


@bp.route("/import", methods=["GET", "POST"], endpoint="import_page")
@staff_required
def import_csv():
    form = ImportForm()
    report, problem = None, None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read() if upload else b""
        if not data:
            problem = "Choisissez un fichier CSV."
        else:
            dry_run = request.form.get("apply") != "1"
            report = importing.run(current_user, current_port(), form.kind.data, data, dry_run=dry_run, ip=client_ip())
    status = 422 if problem or (report and report.problems) else 200
    return render_template(
        "staff/imports/index.html", form=form, report=report, problem=problem, kinds=KINDS, labels=KIND_LABELS
    ), status
