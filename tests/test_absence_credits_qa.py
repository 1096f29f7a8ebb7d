"""Absence credits, found by QA: a letting recorded twice at once, a cancellation racing a letting."""

import datetime as dt

from conftest import at_once

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Absence, BerthLetting, Contract, Customer, Port
from marina_portal.port_life import absences

TODAY = paris_today()


def absence_of_jean(app):
    with app.app_context():
        Port.update(absence_credit_mode="per_night", absence_credit_value=1000).execute()
        contract = Contract.select().join(Customer).where(Customer.code == "C0001").first()
        absence = Absence.create(
            contract=contract, starts_on=TODAY + dt.timedelta(days=5), ends_on=TODAY + dt.timedelta(days=9)
        )
        database.close()
    return absence


def test_the_same_letting_recorded_twice_at_once_earns_one_credit(app):
    absence = absence_of_jean(app)
    start = absence.starts_on

    def record():
        return absences.record_letting(absence.id, start, start + dt.timedelta(days=2), 8000, None)

    results = at_once(app, record, record, record, record)
    refused = [r for r in results if isinstance(r, absences.AbsenceRefused)]
    recorded = [r for r in results if isinstance(r, BerthLetting)]
    assert len(recorded) == 1 and len(refused) == 3, results
    assert "déjà enregistrée" in str(refused[0])
    with app.app_context():
        assert BerthLetting.select().count() == 1


def test_a_cancellation_racing_a_letting_leaves_no_letting_on_a_cancelled_absence(app):
    absence = absence_of_jean(app)
    start = absence.starts_on
    with app.app_context():
        jean = Customer.get(Customer.code == "C0001")

    def record():
        return absences.record_letting(absence.id, start, start + dt.timedelta(days=2), 8000, None)

    def cancel():
        return absences.cancel(jean, Absence.get_by_id(absence.id))

    for _ in range(3):
        results = at_once(app, record, cancel)
        assert all(isinstance(r, (BerthLetting, Absence, absences.AbsenceRefused)) for r in results), results
        with app.app_context():
            cancelled = Absence.get_by_id(absence.id).cancelled_at is not None
            let = BerthLetting.select().where(BerthLetting.absence == absence.id).exists()
            assert not (cancelled and let)
            BerthLetting.delete().execute()
            Absence.update(cancelled_at=None).where(Absence.id == absence.id).execute()
            database.close()


def test_the_letting_page_of_a_cancelled_absence_says_so_before_anything_is_typed(app, client, auth):
    from marina_portal.models import utcnow

    absence = absence_of_jean(app)
    with app.app_context():
        Absence.update(cancelled_at=utcnow()).where(Absence.id == absence.id).execute()
    auth.staff(role="agent")
    page = client.get(f"/staff/port/absences/{absence.id}/letting").get_data(as_text=True)
    assert "Cette absence a été annulée par le plaisancier le " in page.replace("&#39;", "'")
    assert "Enregistrer la location" not in page and "Enregistrer la date de retour" not in page
