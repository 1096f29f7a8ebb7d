"""ESPACE DE TELECHARGEMENT: the port's documents for all boaters, and each boater's own."""

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user, login_required

from marina_portal.core.storage import absolute
from marina_portal.documents import uploads
from marina_portal.models import Document
from marina_portal.views.access import may_see
from marina_portal.views.shell import current_port

bp = Blueprint("documents", __name__, url_prefix="/documents")


def visible_documents():
    port = current_port()
    query = Document.select().where((Document.port == port) & (Document.kind == "published"))
    if not current_user.is_staff:
        query = query.where(Document.customer.is_null() | (Document.customer == current_user.customer_id))
    return query.order_by(Document.category, Document.created_at.desc())


@bp.route("/")
@login_required
def index():
    return render_template("documents/index.html", documents=list(visible_documents()))


@bp.route("/<int:document_id>/download")
@login_required
def download(document_id):
    document = Document.get_or_none(Document.id == document_id)
    if document is None or document.kind == uploads.WITHDRAWN:
        abort(404)
    if document.customer_id is not None and not may_see(document):
        abort(404)
    return send_file(
        absolute(document.stored_as),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
    )
