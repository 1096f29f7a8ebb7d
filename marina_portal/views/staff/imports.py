"""The CSV import page: a dry run first by default, then the same file applied all at once."""
from flask import render_template, request
from flask_login import current_user

from ...access import staff_required
from ...backoffice import importing
from ...backoffice.forms import KIND_LABELS, ImportForm
from ...backoffice.import_kinds import KINDS
from ..shell import current_port
from . import bp, client_ip


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
            report = importing.run(current_user, current_port(), form.kind.data, data, dry_run=dry_run,
                                   ip=client_ip())
    status = 422 if problem or (report and report.problems) else 200
    return render_template("staff/imports/index.html", form=form, report=report, problem=problem,
                           kinds=KINDS, labels=KIND_LABELS), status
