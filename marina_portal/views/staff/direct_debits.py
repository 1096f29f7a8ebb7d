"""Prélèvements SEPA at the harbour office: preview and export a batch, download its file, record returns."""

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField
from wtforms import Form as PlainForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from marina_portal.core.formats import paris_today
from marina_portal.models import DirectDebitBatch
from marina_portal.sepa import collection, debit_batches
from marina_portal.views.access import staff_required
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404

FORMAT_CHOICES = [
    SelectChoice(name, name + (" (recommandé)" if name == collection.DEFAULT_FORMAT else ""))
    for name in collection.FORMATS
]


class PreviewForm(PlainForm):
    """Read from the query string: looking at a preview changes nothing, so it needs no token."""

    collection_date = DateField("Date de prélèvement", validators=[DataRequired("Saisissez une date valide.")])
    message_format = SelectField("Format du fichier", choices=FORMAT_CHOICES, default=collection.DEFAULT_FORMAT)


class ExportForm(FlaskForm):
    collection_date = HiddenField()
    message_format = HiddenField()
    expected_cents = HiddenField()  # the total the officer saw: a batch that changed meanwhile is shown again


class ReturnForm(FlaskForm):
    end_to_end_id = HiddenField(validators=[DataRequired()])
    reason = SelectField("Motif du rejet", choices=[SelectChoice(*pair) for pair in debit_batches.RETURN_REASONS])


def _earliest():
    return paris_today() + dt.timedelta(days=collection.notice_days())


def _page(preview, planned=None, problem=None, status=200):
    export_form = ExportForm()
    if planned:
        export_form.collection_date.data = preview.collection_date.data.isoformat()
        export_form.message_format.data = preview.message_format.data
        export_form.expected_cents.data = sum(p.amount_cents for p in planned)
    return render_template(
        "staff/direct_debits/index.html",
        preview=preview,
        planned=planned,
        export_form=export_form,
        problem=problem,
        batches=debit_batches.batches(current_port()),
        earliest=_earliest(),
        missing_settings=collection.missing_settings(current_port()),
        notice_days=collection.notice_days(),
        planned_total=sum(p.amount_cents for p in planned or []),
    ), status


@bp.route("/direct-debits")
@staff_required
def direct_debits():
    preview = PreviewForm(request.args)
    if "collection_date" not in request.args:
        preview.collection_date.data = _earliest()
        return _page(preview)
    if not preview.validate():
        return _page(preview, status=422)
    planned = debit_batches.plan(current_port(), preview.collection_date.data)
    problem = None
    if preview.collection_date.data < _earliest():
        problem = (
            f"Cette date ne laisse pas {collection.notice_days()} jours de préavis aux débiteurs : "
            f"le lot ne pourra pas être exporté pour cette date."
        )
    return _page(preview, planned, problem)


@bp.route("/direct-debits", methods=["POST"])
@staff_required
def direct_debit_export():
    form = ExportForm()
    try:
        collection_date = dt.date.fromisoformat(form.collection_date.data or "")
    except ValueError:
        collection_date = None
    if not form.validate_on_submit() or collection_date is None:
        flash("Choisissez d'abord la date de prélèvement, puis vérifiez le lot avant de l'exporter.", "error")
        return redirect(url_for("staff.direct_debits"), code=303)
    expected = form.expected_cents.data
    try:
        batch = debit_batches.export(
            current_user,
            current_port(),
            collection_date,
            form.message_format.data or collection.DEFAULT_FORMAT,
            client_ip(),
            expected_cents=int(expected) if (expected or "").isdigit() else None,
        )
    except collection.SepaError as refusal:
        preview = PreviewForm(data={"collection_date": collection_date, "message_format": form.message_format.data})
        if isinstance(refusal, collection.IncompleteSettings):  # the page says it, with a link to fix it
            return _page(preview, status=422)
        planned = debit_batches.plan(current_port(), collection_date) if preview.validate() else None
        return _page(preview, planned, problem=str(refusal), status=422)
    by_post = (
        f" {batch.by_post} débiteur{'s' if batch.by_post > 1 else ''} sans adresse mail à prévenir par "
        "courrier (voir ci-dessous)."
        if batch.by_post
        else ""
    )
    flash(f"Lot n° {batch.id} exporté : téléchargez le fichier et déposez-le à la banque.{by_post}", "success")
    return redirect(url_for("staff.direct_debit_batch", batch_id=batch.id), code=303)


def _batch_or_404(batch_id):
    return port_row_or_404(DirectDebitBatch, batch_id)


def _batch_page(batch, problem=None, status=200):
    rows = debit_batches.collections(batch)
    return render_template(
        "staff/direct_debits/batch.html",
        batch=batch,
        rows=rows,
        problem=problem,
        reasons=debit_batches.RETURN_REASONS,
        total=sum(r.amount_cents for r in rows),
    ), status


@bp.route("/direct-debits/<int:batch_id>")
@staff_required
def direct_debit_batch(batch_id):
    return _batch_page(_batch_or_404(batch_id))


@bp.route("/direct-debits/<int:batch_id>/file")
@staff_required
def direct_debit_file(batch_id):
    batch = _batch_or_404(batch_id)
    if not batch.stored_as:
        abort(404)
    try:
        data = collection.batch_file(batch)
    except FileNotFoundError:  # DATA_DIR restored without its files, or moved: say so, do not crash
        return _batch_page(
            batch,
            "Le fichier de ce lot est introuvable dans le dossier des données "
            "(DATA_DIR) : restaurez-le depuis une sauvegarde.",
            404,
        )
    name = f"prelevements-{batch.collection_date.isoformat()}-lot{batch.id}.xml"
    return Response(data, mimetype="application/xml", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/direct-debits/<int:batch_id>/return", methods=["POST"])
@staff_required
def direct_debit_return(batch_id):
    batch = _batch_or_404(batch_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _batch_page(batch, "Choisissez le prélèvement rejeté et le motif donné par la banque.", 422)
    try:
        debit_batches.record_return(current_user, batch, form.end_to_end_id.data, form.reason.data, client_ip())
    except collection.SepaError as refusal:
        return _batch_page(batch, str(refusal), 422)
    flash(f"Rejet enregistré pour {form.end_to_end_id.data} : les factures sont à nouveau dues.", "success")
    return redirect(url_for("staff.direct_debit_batch", batch_id=batch.id), code=303)
