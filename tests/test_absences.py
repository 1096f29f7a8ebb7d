"""Déclarer une absence: declare, change, cancel; the refusals in words; the credit from a visitor letting."""

import datetime as dt

import pytest

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Absence, BerthLetting, Contract, Customer, Invoice, Payment, Port

TODAY = paris_today()


def day(offset):
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def long_contracts(app):
    """The demo's contracts run to Dec 31; stretch them so that future dates always fit."""
    with app.app_context():
        Contract.update(ends_on=TODAY + dt.timedelta(days=400)).execute()
        database.close()


@pytest.fixture
def declare(form_post, long_contracts):
    def post(start, end, comment=""):
        return form_post(
            "/absences/new", starts_on=start, ends_on=end, comment=comment, contract=str(_contract_id("C0001"))
        )

    return post


def _contract_id(code):
    return Contract.select(Contract.id).join(Customer).where(Customer.code == code).scalar()


def _text(response):
    return response.get_data(as_text=True).replace("&#39;", "'")


def test_declare_an_absence_mails_a_confirmation(app, client, auth, declare, mailbox):
    auth.boater("C0001")
    response = declare(day(5), day(12), "Croisière aux Baléares")
    assert response.status_code == 303
    page = _text(client.get("/absences/"))
    assert "B-12" in page and (TODAY + dt.timedelta(days=5)).strftime("%d/%m/%Y") in page
    assert "Croisière aux Baléares" in page and "À venir" in page
    message = mailbox.last("jean.dupont@example.com")
    assert message["Subject"] == "Votre absence est enregistrée"
    assert "Poste : B-12" in mailbox.text(message)


@pytest.mark.parametrize(
    "start, end, words",
    [
        (day(-2), day(4), "La date de départ est passée"),
        (day(6), day(3), "La date de retour doit être après la date de départ"),
        (day(6), day(6), "La date de retour doit être après la date de départ"),
        (day(3), day(900), "Les dates doivent être comprises dans votre contrat"),
        ("32/13/2026", day(4), "Saisissez une date valide"),
    ],
)
def test_bad_dates_are_refused_in_words(app, client, auth, declare, start, end, words):
    auth.boater("C0001")
    response = declare(start, end)
    assert response.status_code == 200
    assert words in _text(response)
    with app.app_context():
        assert Absence.select().count() == 0


def test_overlapping_declarations_are_refused(app, client, auth, declare):
    auth.boater("C0001")
    assert declare(day(5), day(12)).status_code == 303
    response = declare(day(10), day(15))
    assert "Ces dates chevauchent votre absence déjà déclarée du" in _text(response)
    # back-to-back is fine: the boat leaves again the day it came back
    assert declare(day(12), day(14)).status_code == 303


def test_change_and_cancel_before_it_starts(app, client, auth, declare, form_post, mailbox):
    auth.boater("C0001")
    declare(day(5), day(12))
    with app.app_context():
        absence_id = Absence.get().id
    response = form_post(f"/absences/{absence_id}/edit", starts_on=day(6), ends_on=day(9), comment="")
    assert response.status_code == 303
    with app.app_context():
        assert Absence.get().ends_on.isoformat() == day(9)
    assert mailbox.last("jean.dupont@example.com")["Subject"] == "Votre absence est modifiée"
    response = form_post("/absences/", f"/absences/{absence_id}/cancel")
    assert response.status_code == 303
    assert "Annulée" in _text(client.get("/absences/"))


def _started_absence(app):
    with app.app_context():
        absence = Absence.create(
            contract=_contract_id("C0001"), starts_on=TODAY - dt.timedelta(days=1), ends_on=TODAY + dt.timedelta(days=5)
        )
        database.close()
    return absence.id


def test_an_absence_that_has_started_cannot_be_changed(app, client, auth, long_contracts, form_post):
    auth.boater("C0001")
    absence_id = _started_absence(app)
    response = form_post(f"/absences/{absence_id}/edit", starts_on=day(0), ends_on=day(3))
    assert "Cette absence a déjà commencé" in _text(response)
    response = client.post(f"/absences/{absence_id}/cancel", data={"csrf_token": _csrf(client)}, follow_redirects=True)
    assert "Cette absence a déjà commencé" in _text(response)
    with app.app_context():
        assert Absence.get_by_id(absence_id).cancelled_at is None
        assert Absence.get_by_id(absence_id).ends_on.isoformat() == day(5)


def _csrf(client):
    from conftest import csrf_token

    return csrf_token(client.get("/absences/").get_data(as_text=True))


def test_another_boaters_absence_is_not_found(app, client, auth, long_contracts):
    with app.app_context():
        theirs = Absence.create(
            contract=_contract_id("C0002"), starts_on=TODAY + dt.timedelta(days=3), ends_on=TODAY + dt.timedelta(days=6)
        )
        database.close()
    auth.boater("C0001")
    assert client.get(f"/absences/{theirs.id}/edit").status_code == 404
    assert client.post(f"/absences/{theirs.id}/edit", data={"csrf_token": _csrf(client)}).status_code == 404
    assert client.post(f"/absences/{theirs.id}/cancel", data={"csrf_token": _csrf(client)}).status_code == 404
    assert client.get("/absences/999999/edit").status_code == 404
    assert "C-03" not in _text(client.get("/absences/"))


def test_pages_need_a_boater(client, auth):
    assert client.get("/absences/").status_code == 302
    auth.staff()
    assert client.get("/absences/").status_code == 403


def _let(app, absence_id, start, end, revenue, mode="percent", value=50):
    from marina_portal.port_life import absences

    with app.test_request_context():
        Port.update(absence_credit_mode=mode, absence_credit_value=value).execute()
        letting = absences.record_letting(absence_id, start, end, revenue, None)
        database.close()
    return letting


@pytest.mark.parametrize(
    "mode, value, expected", [("percent", 50, 12000), ("per_night", 1500, 6000), ("free_nights", 3, 6000)]
)
def test_credit_is_computed_shown_and_mailed(app, client, auth, declare, mailbox, mode, value, expected):
    auth.boater("C0001")
    declare(day(5), day(12))
    with app.app_context():
        absence = Absence.get()
    start, end = absence.starts_on + dt.timedelta(days=1), absence.starts_on + dt.timedelta(days=5)
    letting = _let(app, absence.id, start, end, 24000, mode, value)
    assert letting.credit_cents == expected
    page = _text(client.get("/absences/"))
    from marina_portal.core.formats import euros

    assert f'Crédit disponible : <strong class="amount">{euros(expected)}</strong>' in page
    account = _text(client.get("/account/"))  # COMPTE CLIENT shows it too
    assert f'Crédit disponible : <strong class="amount">{euros(expected)}</strong>' in account
    assert "Un crédit a été ajouté à votre compte" == mailbox.last("jean.dupont@example.com")["Subject"]


def test_customer_credit_subtracts_what_the_account_used(app, client, auth, declare):
    from marina_portal.port_life.absences import credit_rows, customer_credit_cents

    auth.boater("C0001")
    declare(day(5), day(12))
    with app.app_context():
        absence = Absence.get()
    _let(app, absence.id, absence.starts_on, absence.ends_on, 30000)
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        assert customer_credit_cents(customer) == 15000
        invoice = Invoice.select().where(Invoice.customer == customer).first()
        Payment.create(invoice=invoice, method="absence_credit", amount_cents=4000, received_on=TODAY)
        assert customer_credit_cents(customer) == 11000
        # a credit note imported from the previous software ("Avoir") is not an absence credit
        Payment.create(invoice=invoice, method="credit", amount_cents=1000, received_on=TODAY)
        assert customer_credit_cents(customer) == 11000
        assert [row.credit_cents for row in credit_rows(customer)] == [15000]
        assert customer_credit_cents(Customer.get(Customer.code == "C0002")) == 0


def test_letting_outside_the_absence_is_refused(app, declare, auth):
    from marina_portal.port_life import absences

    auth.boater("C0001")
    declare(day(5), day(12))
    with app.test_request_context():
        absence = Absence.get()
        with pytest.raises(absences.AbsenceRefused, match="La location doit tenir dans l'absence"):
            absences.record_letting(absence.id, absence.starts_on, absence.ends_on + dt.timedelta(days=1), 100, None)
        absences.record_letting(absence.id, absence.starts_on, absence.ends_on, 100, None)
        with pytest.raises(absences.AbsenceRefused, match="déjà enregistrée"):
            absences.record_letting(absence.id, absence.starts_on, absence.ends_on, 100, None)


def test_return_brought_forward_while_let_warns_and_tells_staff(app, client, auth, declare, form_post, mailbox):
    auth.boater("C0001")
    declare(day(5), day(15))
    with app.app_context():
        absence = Absence.get()
    _let(app, absence.id, absence.starts_on, absence.starts_on + dt.timedelta(days=8), 20000)
    response = form_post(f"/absences/{absence.id}/edit", starts_on=day(5), ends_on=day(9))
    page = _text(response)
    assert "Votre poste est loué à un bateau de passage jusqu'au" in page
    assert "Je confirme mon retour anticipé" in page
    with app.app_context():
        assert Absence.get().ends_on.isoformat() == day(15)
    mailbox.clear()
    response = form_post(f"/absences/{absence.id}/edit", starts_on=day(5), ends_on=day(9), confirm_early="y")
    assert response.status_code == 303
    with app.app_context():
        assert Absence.get().ends_on.isoformat() == day(9)
    staff_mail = mailbox.last("web.management@example.com")
    assert "Retour anticipé sur un poste loué : B-12" == staff_mail["Subject"]
    assert "JEAN" in mailbox.text(staff_mail)
    # and an absence that is let can't simply be cancelled
    response = form_post("/absences/", f"/absences/{absence.id}/cancel")
    assert "Votre poste est déjà loué" in _text(client.get("/absences/"))


def test_staff_record_a_letting_from_the_calendar(app, client, auth, declare, form_post):
    auth.boater("C0001")
    declare(day(5), day(12))
    with app.app_context():
        absence = Absence.get()
        Port.update(absence_credit_mode="percent", absence_credit_value=40).execute()
        database.close()
    client.post("/logout", data={"csrf_token": _csrf(client)})
    auth.staff()
    response = form_post(
        f"/staff/port/absences/{absence.id}/letting", starts_on=day(6), ends_on=day(8), revenue="150,00"
    )
    assert response.status_code == 303
    with app.app_context():
        letting = BerthLetting.get()
        assert (letting.revenue_cents, letting.credit_cents) == (15000, 6000)
    page = _text(client.get(response.headers["Location"]))
    assert "Location enregistrée : crédit de 60,00 €" in page and "150,00 €" in page
    response = form_post(
        f"/staff/port/absences/{absence.id}/letting", starts_on=day(6), ends_on=day(8), revenue="beaucoup"
    )
    assert "Saisissez un montant en euros" in _text(response)


def test_the_home_page_leads_to_absences_only_for_a_berth_holder(app, client, auth):
    auth.boater("C0001")
    assert 'href="/absences/"' in _text(client.get("/"))
    with app.app_context():
        Contract.update(status="cancelled").execute()
        database.close()
    assert 'href="/absences/"' not in _text(client.get("/"))


def test_staff_change_the_return_date_of_an_absence_under_way(app, client, auth, long_contracts, form_post):
    absence_id = _started_absence(app)
    with app.app_context():
        BerthLetting.create(
            absence=absence_id, starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=2), revenue_cents=5000
        )
        database.close()
    auth.staff()
    page_url = f"/staff/port/absences/{absence_id}/letting"
    response = form_post(page_url, f"/staff/port/absences/{absence_id}/return", ends_on=day(1))
    assert "Une location est enregistrée jusqu'au" in _text(client.get(response.headers["Location"]))
    response = form_post(page_url, f"/staff/port/absences/{absence_id}/return", ends_on=day(3))
    assert "La date de retour est modifiée." in _text(client.get(response.headers["Location"]))
    with app.app_context():
        assert Absence.get_by_id(absence_id).ends_on.isoformat() == day(3)


def test_an_absence_across_the_new_year_needs_next_years_contract_on_the_same_berth(app, client, auth, form_post):
    with app.app_context():
        current = Contract.get_by_id(_contract_id("C0001"))
        Contract.update(ends_on=TODAY + dt.timedelta(days=10)).where(Contract.id == current.id).execute()
        database.close()

    def declare():
        return form_post("/absences/new", starts_on=day(5), ends_on=day(20), comment="", contract=str(current.id))

    auth.boater("C0001")
    refused = declare()
    assert refused.status_code == 200 and "Les dates doivent être comprises dans votre contrat" in _text(refused)
    with app.app_context():
        other = Contract.select().where(Contract.berth != current.berth_id, Contract.berth.is_null(False)).first()
        following = {
            "port": current.port_id,
            "customer": current.customer_id,
            "boat": current.boat_id,
            "number": "NEXT-YEAR",
            "starts_on": TODAY + dt.timedelta(days=11),
            "ends_on": TODAY + dt.timedelta(days=400),
            "status": current.status,
        }
        elsewhere = Contract.create(berth=other.berth_id, **following)
        database.close()
    assert declare().status_code == 200  # next year's contract on another berth does not carry it
    with app.app_context():
        elsewhere.delete_instance()
        Contract.create(berth=current.berth_id, **following)
        database.close()
    assert declare().status_code == 303
    with app.app_context():
        assert Absence.select().where(Absence.ends_on == TODAY + dt.timedelta(days=20)).exists()
        database.close()
