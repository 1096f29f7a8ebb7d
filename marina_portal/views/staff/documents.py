"""ESPACE DE TELECHARGEMENT, staff side: publish a file for everyone or for one customer, withdraw one."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import JOIN

from marina_portal.documents import uploads
from marina_portal.models import Customer, Document
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.shell import current_port
from marina_portal.views.staff.forms import UploadForm
from marina_portal.views.staff.frame import bp, client_ip, port_row_or_404


def _listing(form, problem=None, status=200):
    documents = list(
        Document.select(Document, Customer)
        .join(Customer, join_type=JOIN.LEFT_OUTER, on=(Document.customer == Customer.id))
        .where((Document.port == current_port()) & (Document.kind == "published"))
        .order_by(Document.created_at.desc())
    )
    return render_template(
        "staff/documents/index.html", form=form, documents=documents, problem=problem, withdraw_form=EmptyForm()
    ), status


@bp.route("/documents", methods=["GET", "POST"])
@staff_required
def document_list():
    form = UploadForm()
    if not form.is_submitted():
        form.customer_code.data = request.args.get("customer", "")
    if not form.validate_on_submit():
        return _listing(form, status=422 if form.is_submitted() else 200)
    customer = None
    wanted = form.customer_code.data
    if wanted:
        customer = Customer.get_or_none(
            ((Customer.code == wanted) | (Customer.email == wanted.lower())) & (Customer.port == current_port())
        )
        if customer is None:
            return _listing(form, f"Aucun client n'a le code ou l'adresse mail {wanted}.", 422)
    upload = form.file.data
    data = upload.read() if upload else b""
    limit = current_app.config.get("UPLOAD_MAX_BYTES", uploads.DEFAULT_MAX_BYTES)
    try:
        uploads.publish(
            current_user,
            current_port(),
            data,
            upload.filename if upload else "",
            form.title.data,
            form.category.data,
            customer,
            limit,
            client_ip(),
        )
    except uploads.Refused as refusal:
        return _listing(form, str(refusal), 422)
    flash("Document publié.", "success")
    return redirect(url_for("staff.document_list"), code=303)


@bp.route("/documents/<int:document_id>/withdraw", methods=["POST"])
@staff_required
def document_withdraw(document_id):
    document = port_row_or_404(Document, document_id)
    if EmptyForm().validate_on_submit():
        uploads.withdraw(current_user, document, client_ip())
        flash("Document retiré de l'espace de téléchargement.", "success")
    return redirect(url_for("staff.document_list"), code=303)
