"""Je n'ai pas de contrat: apply, confirm by mail, rank, yearly confirmation and lapse, offers and contracts."""

import datetime as dt

import pytest
from conftest import PASSWORD, csrf_token

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Berth, Boat, Contract, Port, User, WaitingListApplication
from marina_portal.port_life import waiting_list

TODAY = paris_today()


def _text(response):
    return response.get_data(as_text=True).replace("&#39;", "'")


def fields(**overrides):
    values = dict(
        last_name="Marin",
        first_name="Paul",
        email="paul.marin@example.com",
        boat_name="ALBATROS",
        boat_type="Voilier",
        length="8,50",
        beam="2,90",
        draught="1,40",
        wanted_from=(TODAY + dt.timedelta(days=60)).isoformat(),
        wanted_to="",
    )
    values.update(overrides)
    return values


@pytest.fixture
def apply_and_confirm(client, form_post, mailbox):
    """The whole stranger's journey with the test client; returns the logged-in client's status page."""

    def journey(**overrides):
        data = fields(**overrides)
        response = form_post("/waiting-list/apply", **data)
        assert response.status_code == 303, _text(response)
        link = mailbox.link(data["email"])
        page = client.get(link)
        assert page.status_code == 200
        response = client.post(
            link, data={"csrf_token": csrf_token(_text(page)), "password": PASSWORD, "confirm": PASSWORD}
        )
        assert response.status_code == 303
        return _text(client.get(response.headers["Location"]))

    return journey


def test_a_stranger_applies_confirms_and_sees_his_rank(app, client, apply_and_confirm, mailbox):
    assert "Je n'ai pas de contrat" in _text(client.get("/register"))
    page = apply_and_confirm()
    assert "Votre rang sur la liste d'attente : <strong>1</strong> sur 1" in page
    assert "ALBATROS" in page and TODAY.strftime("%d/%m/%Y") in page
    message = mailbox.last("paul.marin@example.com")
    assert "Votre LOGIN : paul.marin@example.com" in mailbox.text(message)
    with app.app_context():
        user = User.get(User.email == "paul.marin@example.com")
        assert user.role == "boater" and user.customer.last_name == "MARIN"
        application = WaitingListApplication.get()
        assert (application.status, application.user_id, application.length_cm) == ("active", user.id, 850)
    # the home page leads to it, and the link can't be used twice
    assert "Liste d'attente" in _text(client.get("/"))
    assert client.get(mailbox.link("paul.marin@example.com")).status_code == 410


def test_an_unconfirmed_application_has_no_rank(app, form_post, mailbox):
    form_post("/waiting-list/apply", **fields())
    with app.app_context():
        application = WaitingListApplication.get()
        assert application.status == "pending"
        assert waiting_list.rank_of(application) == (None, 0)


def test_bad_input_is_refused_in_words(app, form_post):
    page = _text(form_post("/waiting-list/apply", **fields(length="long", email="pas-une-adresse")))
    assert "Indiquez une mesure en mètres, par exemple 9,50." in page
    assert "Saisissez une adresse mail valide." in page
    page = _text(form_post("/waiting-list/apply", **fields(wanted_from="2030-05-01", wanted_to="2030-04-01")))
    assert "La fin de la période souhaitée doit être après son début." in page
    with app.app_context():
        assert WaitingListApplication.select().count() == 0


def _application(port, name, applied, length, status="active", confirmed=None, email=None):
    return WaitingListApplication.create(
        port=port,
        last_name=name,
        email=email or f"{name.lower()}@example.com",
        length_cm=length,
        beam_cm=300,
        draught_cm=120,
        applied_at=applied,
        confirmed_at=confirmed or applied,
        status=status,
    )


def test_rank_by_application_date_then_boat_size(app):
    with app.app_context():
        port = Port.get()
        early = dt.datetime(2025, 3, 1, 15, 0)
        _application(port, "LONG", early, 1200)
        _application(port, "SHORT", early.replace(hour=16), 700)  # same day, smaller boat: first
        _application(port, "LATER", dt.datetime(2025, 3, 2, 8, 0), 500)
        _application(port, "EARLIEST", dt.datetime(2025, 2, 1), 1500, status="offered")
        _application(port, "GONE", dt.datetime(2024, 1, 1), 600, status="lapsed")
        _application(port, "PENDING", dt.datetime(2024, 1, 1), 600, status="pending")
        assert [a.last_name for a in waiting_list.ranked(port)] == ["EARLIEST", "SHORT", "LONG", "LATER"]
        later = WaitingListApplication.get(WaitingListApplication.last_name == "LATER")
        assert waiting_list.rank_of(later) == (4, 4)


def test_staff_see_the_list_in_rank_order(app, client, auth):
    with app.app_context():
        port = Port.get()
        _application(port, "SECOND", dt.datetime(2025, 3, 2), 700)
        _application(port, "FIRST", dt.datetime(2025, 3, 1), 1200)
        database.close()
    auth.staff()
    page = _text(client.get("/staff/port/waiting-list"))
    assert page.index("FIRST") < page.index("SECOND")


def test_yearly_confirmation_reminder_and_lapse(app, mailbox):
    deadline = dt.date(2027, 3, 15)
    with app.test_request_context():
        port = Port.get()
        waiting_list.set_confirmation_date(port, deadline)
        _application(port, "OLD", dt.datetime(2026, 2, 1), 800)  # must confirm by 15/03/2027
        keen = _application(port, "KEEN", dt.datetime(2026, 2, 1), 800)
        new = _application(port, "NEW", dt.datetime(2026, 6, 1), 800)  # applied in the year before: not due
        assert waiting_list.send_reminders(dt.date(2027, 2, 1)) == 0  # too early
        assert waiting_list.send_reminders(dt.date(2027, 2, 20)) == 2
        assert waiting_list.send_reminders(dt.date(2027, 2, 21)) == 0  # once a year
        text = mailbox.text(mailbox.last("old@example.com"))
        assert "au plus tard le 15/03/2027" in text and "Je confirme mon intérêt" in text
        waiting_list.confirm_interest(WaitingListApplication.get_by_id(keen.id))
        WaitingListApplication.update(confirmed_at=dt.datetime(2027, 2, 25)).where(
            WaitingListApplication.id == keen.id
        ).execute()  # as if it were that day
        assert waiting_list.lapse_unconfirmed(deadline) == 0  # the deadline day itself still counts
        assert waiting_list.lapse_unconfirmed(deadline + dt.timedelta(days=1)) == 1
        statuses = {a.last_name: a.status for a in WaitingListApplication.select()}
        assert statuses == {"OLD": "lapsed", "KEEN": "active", "NEW": "active"}
        assert "n'est plus sur la liste d'attente" in mailbox.last("old@example.com")["Subject"]
        # the next year, the keen one must confirm again
        assert waiting_list.due_for(WaitingListApplication.get_by_id(keen.id), dt.date(2028, 3, 15))
        assert not waiting_list.due_for(WaitingListApplication.get_by_id(new.id), deadline)


def test_applicant_confirms_interest_on_his_page(app, client, apply_and_confirm, form_post):
    apply_and_confirm()
    with app.app_context():
        WaitingListApplication.update(confirmed_at=dt.datetime(2020, 1, 1)).execute()
        Port.update(waiting_list_confirm_on=TODAY + dt.timedelta(days=10)).execute()
        database.close()
    page = _text(client.get("/waiting-list/"))
    assert "Confirmez chaque année que vous souhaitez toujours une place" in page
    form_post("/waiting-list/", "/waiting-list/confirm-interest")
    page = _text(client.get("/waiting-list/"))
    assert "Merci : votre intérêt est confirmé pour cette année." in page
    assert "Je confirme mon intérêt" not in page


def _offer(app, client, auth, form_post, deadline):
    with app.app_context():
        application = WaitingListApplication.get()
        berth_id = Berth.get(Berth.code == "A-07").id
        database.close()
    staff = app.test_client()
    from conftest import Auth

    helper = Auth(app, staff)
    with app.app_context():
        exists = User.select().where(User.email == "agent@example.com").exists()
    if not exists:
        helper.create_staff()
    helper.login("agent@example.com")
    page = staff.get(f"/staff/port/waiting-list/{application.id}/offer")
    response = staff.post(
        f"/staff/port/waiting-list/{application.id}/offer",
        data={"csrf_token": csrf_token(_text(page)), "berth": str(berth_id), "deadline": deadline.isoformat()},
    )
    return response, staff


def test_offer_accepted_creates_the_contract(app, client, auth, apply_and_confirm, form_post, mailbox):
    apply_and_confirm()
    response, staff = _offer(app, client, auth, form_post, TODAY + dt.timedelta(days=7))
    assert response.status_code == 303
    assert "Une place vous est proposée : poste A-07" == mailbox.last("paul.marin@example.com")["Subject"]
    assert "Poste A-07 proposé" in _text(staff.get("/staff/port/waiting-list"))
    page = _text(client.get("/waiting-list/"))
    assert "Une place vous est proposée" in page and "J'accepte cette place" in page
    response = form_post("/waiting-list/", "/waiting-list/offer/accept")
    assert "il apparaîtra dans CONTRAT" in _text(client.get(response.headers["Location"]))
    with app.app_context():
        contract = Contract.select().where(Contract.number.contains("-L")).get()
        assert contract.customer.email == "paul.marin@example.com"
        assert contract.berth.code == "A-07" and contract.status == "draft"
        assert contract.starts_on == TODAY + dt.timedelta(days=60)
        assert contract.terms is not None
        boat = Boat.get_by_id(contract.boat_id)
        assert (boat.name, boat.length_cm, boat.beam_cm) == ("ALBATROS", 850, 290)
        assert WaitingListApplication.get().status == "accepted"
    assert "Place acceptée : poste A-07" == mailbox.last("web.management@example.com")["Subject"]


def test_offer_declined_or_expired_keeps_the_rank(app, client, auth, apply_and_confirm, form_post):
    apply_and_confirm()
    _offer(app, client, auth, form_post, TODAY + dt.timedelta(days=7))
    form_post("/waiting-list/", "/waiting-list/offer/decline")
    with app.app_context():
        assert WaitingListApplication.get().status == "active"
        database.close()
    _offer(app, client, auth, form_post, TODAY)
    with app.app_context():
        assert waiting_list.expire_offers(TODAY) == 0
        assert waiting_list.expire_offers(TODAY + dt.timedelta(days=1)) == 1
        assert WaitingListApplication.get().status == "active"
        assert Contract.select().where(Contract.number.contains("-L")).count() == 0


def test_accepting_after_the_deadline_is_refused(app, client, auth, apply_and_confirm, form_post):
    apply_and_confirm()
    _offer(app, client, auth, form_post, TODAY)
    with app.app_context():
        with pytest.raises(waiting_list.WaitingListRefused, match="date limite de réponse"):
            waiting_list.accept_offer(WaitingListApplication.get(), TODAY + dt.timedelta(days=1))


def test_offer_needs_a_deadline_not_in_the_past(app, client, auth, apply_and_confirm, form_post):
    apply_and_confirm()
    response, staff = _offer(app, client, auth, form_post, TODAY - dt.timedelta(days=1))
    assert "La date limite de réponse doit être aujourd'hui ou plus tard." in _text(response)


def test_an_existing_login_keeps_its_account(app, client, auth, form_post, mailbox):
    auth.create_boater("C0001")
    form_post("/waiting-list/apply", **fields(email="jean.dupont@example.com"))
    link = mailbox.link("jean.dupont@example.com")
    page = _text(client.get(link))
    assert "Vous avez déjà un compte sur le portail" in page
    response = client.post(link, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    with app.app_context():
        application = WaitingListApplication.get()
        assert application.status == "active" and application.user.customer.code == "C0001"
        assert User.select().count() == 1


def test_withdraw(app, client, apply_and_confirm, form_post):
    apply_and_confirm()
    form_post("/waiting-list/", "/waiting-list/withdraw")
    assert "Vous avez retiré votre demande" in _text(client.get("/waiting-list/"))


def test_the_daily_task_mails_links_to_the_portal(make_app, mailbox):
    from marina_portal.port_life import tasks

    app = make_app(BASE_URL="https://port.example.org")
    with app.app_context():
        port = Port.get()
        next_week = TODAY + dt.timedelta(days=7)
        waiting_list.set_confirmation_date(port, next_week)
        _application(port, "OLD", dt.datetime.combine(next_week - dt.timedelta(days=366), dt.time(9)), 800)
        tasks.waiting_list_daily()
        assert WaitingListApplication.get().reminded_at is not None
        database.close()
    assert "https://port.example.org/waiting-list/" in mailbox.text(mailbox.last("old@example.com"))


def test_a_second_application_while_on_the_list_is_refused(app, client, apply_and_confirm, form_post, mailbox):
    apply_and_confirm()
    form_post("/waiting-list/apply", **fields())
    link = mailbox.link("paul.marin@example.com")
    page = _text(client.get(link))
    response = client.post(link, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 410
    assert "Vous êtes déjà sur la liste d'attente" in _text(response)
    with app.app_context():
        assert WaitingListApplication.select().where(WaitingListApplication.status == "active").count() == 1


def test_the_confirmation_mail_carries_nothing_typed_in_the_form(client, form_post, mailbox):
    """The form is anonymous: whatever an attacker types there must not reach a stranger's mailbox."""
    hostile = "Gagnez 1000 € sur http://evil.example"
    form_post("/waiting-list/apply", **fields(last_name=hostile, first_name=hostile, boat_name=hostile))
    text = mailbox.text(mailbox.last("paul.marin@example.com"))
    html = mailbox.last("paul.marin@example.com").get_body(preferencelist=("html",)).get_content()
    assert "evil.example" not in text and "evil.example" not in html and "Gagnez" not in text
    assert "/waiting-list/confirm/" in text
