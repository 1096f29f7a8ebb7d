"""Mon bateau et mes papiers, found by QA: English left in French, errors tied to their field."""

import html
import io
import re

from conftest import Auth, at_once, csrf_token


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def english(client):
    page = client.get("/my-boat/").get_data(as_text=True)
    client.post("/language", data={"csrf_token": csrf_token(page), "language": "en", "next": "/my-boat/"})


def test_the_email_address_label_is_translated(client, auth):
    auth.boater("C0001")
    english(client)
    page = text(client.get("/my-boat/"))
    assert "Adresse mail" not in page and "Email address" in page


def send(client, **fields):
    page = client.get("/my-boat/").get_data(as_text=True)
    return client.post(
        "/my-boat/papers", content_type="multipart/form-data", data={"csrf_token": csrf_token(page), **fields}
    )


def test_a_missing_insurance_date_is_said_beside_the_date_field(client, auth):
    auth.boater("C0001")
    response = send(client, kind="insurance", valid_until="", file=(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="valid_until"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    errors = [re.search(rf'<small[^>]*id="{i}"[^>]*>([^<]*)', page) for i in described]
    assert any(e and "date de fin de validité" in html.unescape(e.group(1)) for e in errors)


def test_a_missing_file_is_said_beside_the_file_field(client, auth):
    auth.boater("C0001")
    response = send(client, kind="registration")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="file"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    assert any(re.search(rf'<small[^>]*id="{i}"[^>]*>Choisissez un fichier', page) for i in described)


# Withdrawing a pending boat change ----------------------------------------------------------------

CHANGE = dict(
    name="BELLE ÉTOILE II", registration="CC 654321", boat_type="Catamaran", length="10,20", beam="5", draught="1.1"
)


def jean_boat(app):
    from marina_portal.models import Boat

    with app.app_context():
        return Boat.get(Boat.code == "B0001").id


def test_a_boater_withdraws_their_pending_change(app, client, auth, form_post):
    from marina_portal.models import AuditLog, Boat, BoatChange

    auth.boater("C0001")
    boat = jean_boat(app)
    assert form_post(f"/my-boat/boats/{boat}/change", **CHANGE).status_code == 303
    page = client.get("/my-boat/").get_data(as_text=True)
    with app.app_context():
        change = BoatChange.get()
    assert f'action="/my-boat/changes/{change.id}/withdraw"' in page
    response = form_post("/my-boat/", f"/my-boat/changes/{change.id}/withdraw")
    assert response.status_code == 303
    after = text(client.get(response.headers["Location"]))
    assert "Votre demande de modification est retirée." in after
    assert "en attente de la capitainerie" not in after and "refusée" not in after
    with app.app_context():
        assert BoatChange.get_by_id(change.id).status == "withdrawn"
        assert Boat.get_by_id(boat).name == "BELLE ÉTOILE"
        entry = AuditLog.get(AuditLog.action == "boat.change_withdrawn")
        assert entry.object_id == boat
    # withdrawing again, or staff approving it afterwards: it is no longer pending
    again = form_post("/my-boat/", f"/my-boat/changes/{change.id}/withdraw")
    assert again.status_code == 303
    assert "n'est plus en attente" in text(client.get("/my-boat/"))
    staff = app.test_client()
    Auth(app, staff).staff(role="agent")
    page = staff.get("/staff/boat-changes").get_data(as_text=True)
    assert "BELLE ÉTOILE II" not in page
    staff.post(f"/staff/boat-changes/{change.id}/approve", data={"csrf_token": csrf_token(page)})
    with app.app_context():
        assert Boat.get_by_id(boat).name == "BELLE ÉTOILE"


def test_another_boaters_change_cannot_be_withdrawn(app, client, auth, form_post):
    from marina_portal.models import Boat, BoatChange, Customer

    with app.app_context():
        sophie = Customer.get(Customer.code == "C0002")
        boat = Boat.get_or_none(Boat.customer == sophie) or Boat.create(customer=sophie, name="SOPHIE")
        change = BoatChange.create(boat=boat, customer=sophie, name="PIRATE", changed="name")
    auth.boater("C0001")
    assert form_post("/my-boat/", f"/my-boat/changes/{change.id}/withdraw").status_code == 404
    assert form_post("/my-boat/", "/my-boat/changes/999999/withdraw").status_code == 404
    with app.app_context():
        assert BoatChange.get_by_id(change.id).status == "pending"


# Removing a paper sent by mistake ---------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_paper_sent_by_mistake_is_removed_the_same_day(app, client, auth, form_post):
    import os

    from marina_portal.core.storage import absolute
    from marina_portal.models import AuditLog, Document

    auth.boater("C0001")
    assert send(client, kind="registration", file=(io.BytesIO(PDF), "wrong.pdf")).status_code == 303
    with app.app_context():
        paper = Document.get(Document.kind == "registration")
        path = absolute(paper.stored_as)
    assert os.path.exists(path)
    page = client.get("/my-boat/").get_data(as_text=True)
    assert f'action="/my-boat/papers/{paper.id}/remove"' in page
    response = form_post("/my-boat/", f"/my-boat/papers/{paper.id}/remove")
    assert response.status_code == 303
    assert "Le document est retiré." in text(client.get(response.headers["Location"]))
    with app.app_context():
        assert not Document.select().where(Document.id == paper.id).exists()
        entry = AuditLog.get(AuditLog.action == "customer.paper_removed")
        assert entry.object_type == "customer" and entry.object_id == paper.customer_id
        assert paper.sha256 in entry.before and f'"id": {paper.id}' in entry.before
    assert not os.path.exists(path)
    assert client.get(f"/my-boat/papers/{paper.id}").status_code == 404
    staff = app.test_client()
    Auth(app, staff).staff(role="agent")
    history = text(staff.get(f"/staff/customers/{paper.customer_id}"))
    assert "document envoyé par erreur, retiré par le plaisancier" in history


def test_a_paper_older_than_a_day_stays(app, client, auth, form_post):
    import datetime as dt

    from marina_portal.models import Document, utcnow

    auth.boater("C0001")
    assert send(client, kind="registration", file=(io.BytesIO(PDF), "old.pdf")).status_code == 303
    with app.app_context():
        paper = Document.get(Document.kind == "registration")
        Document.update(created_at=utcnow() - dt.timedelta(hours=25)).where(Document.id == paper.id).execute()
    assert f"/my-boat/papers/{paper.id}/remove" not in client.get("/my-boat/").get_data(as_text=True)
    response = form_post("/my-boat/", f"/my-boat/papers/{paper.id}/remove")
    assert response.status_code == 303
    assert "ne peut plus être retiré en ligne" in text(client.get("/my-boat/"))
    with app.app_context():
        assert Document.select().where(Document.id == paper.id).exists()


def test_another_boaters_paper_cannot_be_removed(app, client, auth, form_post):
    from marina_portal.models import Customer, Document

    with app.app_context():
        sophie = Customer.get(Customer.code == "C0002")
        paper = Document.create(
            port=sophie.port_id,
            customer=sophie,
            title="x",
            kind="registration",
            filename="x.pdf",
            content_type="application/pdf",
            size=1,
            sha256="x",
            stored_as="papers/none.pdf",
        )
    auth.boater("C0001")
    assert form_post("/my-boat/", f"/my-boat/papers/{paper.id}/remove").status_code == 404
    with app.app_context():
        assert Document.select().where(Document.id == paper.id).exists()


def test_replacing_a_pending_change_starts_from_what_was_asked(app, client, auth, form_post):
    auth.boater("C0001")
    boat = jean_boat(app)
    assert form_post(f"/my-boat/boats/{boat}/change", **CHANGE).status_code == 303
    page = client.get(f"/my-boat/boats/{boat}/change").get_data(as_text=True)
    assert 'value="BELLE ÉTOILE II"' in page and 'value="10,20"' in page and 'value="CC 654321"' in page
    assert '<option selected value="Catamaran">' in page


def test_proposals_sent_at_once_leave_one_request_waiting(app, auth):
    from marina_portal.boats import changes
    from marina_portal.models import Boat, BoatChange, User

    auth.boater("C0001")
    boat_pk = jean_boat(app)

    def propose(n):
        user = User.get(User.email == "jean.dupont@example.com")
        boat = Boat.get_by_id(boat_pk)
        return changes.propose(
            user,
            boat,
            {
                "name": f"NOM {n}",
                "registration": boat.registration,
                "boat_type": boat.boat_type,
                "length_cm": boat.length_cm,
                "beam_cm": boat.beam_cm,
                "draught_cm": boat.draught_cm,
            },
        )

    results = at_once(app, *[lambda n=n: propose(n) for n in range(4)])
    assert not [r for r in results if isinstance(r, Exception)], results
    with app.app_context():
        assert BoatChange.select().where(BoatChange.status == "pending").count() == 1
        assert BoatChange.select().where(BoatChange.status == "replaced").count() == 3


def test_withdraw_and_remove_read_in_english(app, client, auth, form_post):
    auth.boater("C0001")
    boat = jean_boat(app)
    assert form_post(f"/my-boat/boats/{boat}/change", **CHANGE).status_code == 303
    assert send(client, kind="registration", file=(io.BytesIO(PDF), "wrong.pdf")).status_code == 303
    english(client)
    page = text(client.get("/my-boat/"))
    assert "Withdraw my request" in page and ">Remove<" in page.replace("> Remove", ">Remove")
    assert "Sent by mistake? You can remove a document within 24 hours" in page
    for french in ("Retirer", "Envoyé par erreur", "24 heures"):
        assert french not in page
