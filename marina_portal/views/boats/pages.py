"""Mon bateau et mes papiers: the boater's contact details, boat facts to correct, insurance and registration."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marina_portal.boats import changes as boat_changes
from marina_portal.boats import papers
from marina_portal.core.formats import fr_datetime, metres, paris_today
from marina_portal.core.storage import absolute
from marina_portal.documents import uploads
from marina_portal.models import Document
from marina_portal.views.access import boater_required, owned_or_404
from marina_portal.views.boats.forms import BOAT_TYPE_LABELS, BoatChangeForm, ContactForm, PaperForm
from marina_portal.views.forms import EmptyForm

bp = Blueprint("boat", __name__, url_prefix="/my-boat")


def _page(paper_form=None, problem=None, status=200):
    customer = current_user.customer
    own_papers = papers.for_customer(customer)
    return render_template(
        "boat/index.html",
        customer=customer,
        boats=boat_changes.boats_of(customer),
        changes=boat_changes.latest_by_boat(customer),
        papers=own_papers,
        kinds=papers.KINDS,
        type_labels=BOAT_TYPE_LABELS,
        removable={p.id for p in own_papers if papers.removable(p, current_user)},
        insured_until=papers.insured_until(own_papers),
        today=paris_today(),
        paper_form=paper_form or PaperForm(formdata=None),
        problem=problem,
    ), status


@bp.route("/")
@boater_required
def index():
    return _page()


@bp.route("/contact", methods=["GET", "POST"])
@boater_required
def contact():
    customer = current_user.customer
    form = ContactForm(obj=customer)
    if form.validate_on_submit():
        if boat_changes.update_contact(current_user, customer, form.data, request.remote_addr or ""):
            flash(_("Vos coordonnées sont enregistrées."), "success")
        return redirect(url_for("boat.index"), code=303)
    return render_template("boat/contact.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/boats/<int:boat_id>/change", methods=["GET", "POST"])
@boater_required
def change(boat_id):
    boat = boat_changes.own_boat(boat_id, current_user.customer_id)
    if boat is None:
        abort(404)
    facts = boat_changes.pending_for(boat) or boat  # replacing a request starts from what was asked
    form = BoatChangeForm(
        data={
            "name": facts.name,
            "registration": facts.registration,
            "boat_type": facts.boat_type,
            "length": metres(facts.length_cm, unit=False),
            "beam": metres(facts.beam_cm, unit=False),
            "draught": metres(facts.draught_cm, unit=False),
        }
    )
    form.set_type_choices(boat.boat_type)
    problem = None
    if form.validate_on_submit():
        try:
            boat_changes.propose(current_user, boat, form.values())
        except boat_changes.ChangeRefused as refusal:
            problem = refusal.translated()
        else:
            flash(_("Votre demande est envoyée à la capitainerie : elle s'appliquera une fois acceptée."), "success")
            return redirect(url_for("boat.index"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("boat/change.html", form=form, boat=boat, problem=problem), status


@bp.route("/changes/<int:change_id>/withdraw", methods=["GET", "POST"])
@boater_required
def withdraw(change_id):
    change = boat_changes.own_change(change_id, current_user.customer_id)
    if change is None:
        abort(404)
    if request.method == "GET":
        return render_template(
            "confirm.html",
            question=_("Retirer votre demande de modification du bateau %(name)s ?", name=change.boat.name),
            detail=_("La capitainerie ne la verra plus ; les informations enregistrées du bateau ne changent pas."),
            yes=_("Oui, retirer ma demande"),
            back=url_for("boat.index"),
        )
    if EmptyForm().validate_on_submit():
        try:
            boat_changes.withdraw(current_user, change, request.remote_addr or "")
        except boat_changes.ChangeRefused as refusal:
            flash(refusal.translated(), "error")
        else:
            flash(_("Votre demande de modification est retirée."), "success")
    return redirect(url_for("boat.index"), code=303)


@bp.route("/papers", methods=["POST"])
@boater_required
def upload():
    form = PaperForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    upload = form.file.data
    try:
        papers.add(
            current_user,
            current_user.customer,
            form.kind.data,
            upload.read() if upload else b"",
            upload.filename if upload else "",
            form.valid_until.date,
            current_app.config.get("UPLOAD_MAX_BYTES", uploads.DEFAULT_MAX_BYTES),
        )
    except (papers.PaperRefused, uploads.Refused) as refusal:
        field = getattr(form, getattr(refusal, "field", None) or "file")  # an upload refusal is about the file
        field.errors = [*field.errors, refusal.translated()]
        return _page(form, status=422)
    flash(_("Votre document est enregistré. La capitainerie peut le consulter."), "success")
    return redirect(url_for("boat.index"), code=303)


@bp.route("/papers/<int:document_id>")
@login_required
def paper(document_id):
    """A boater's own paper; the harbour office opens any boater's from the customer page."""
    document = owned_or_404(Document, document_id)
    if document.kind not in papers.KINDS:
        abort(404)
    return send_file(
        absolute(document.stored_as),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
    )


@bp.route("/papers/<int:document_id>/remove", methods=["GET", "POST"])
@boater_required
def remove_paper(document_id):
    """A paper sent by mistake, removed by the boater within a day (papers.REMOVABLE_FOR)."""
    paper = papers.own_paper(document_id, current_user.customer_id)
    if paper is None:
        abort(404)
    if request.method == "GET":
        return render_template(
            "confirm.html",
            question=_(
                "Retirer le document « %(title)s » envoyé le %(date)s ?",
                title=_(papers.KINDS[paper.kind]),
                date=fr_datetime(paper.created_at),
            ),
            detail=_("Le fichier est supprimé : la capitainerie ne pourra plus le consulter."),
            yes=_("Oui, retirer le document"),
            back=url_for("boat.index", _anchor="papiers"),
        )
    if EmptyForm().validate_on_submit():
        try:
            papers.remove(current_user, paper, request.remote_addr or "")
        except papers.PaperRefused as refusal:
            flash(refusal.translated(), "error")
        else:
            flash(_("Le document est retiré."), "success")
    return redirect(url_for("boat.index", _anchor="papiers"), code=303)
