"""Who lacks a valid insurance (none, or expired) among this year's contract holders; one reminder reaches them all."""

import datetime as dt
import html
import re

import pytest
from conftest import at_once, csrf_token
from test_staff_queries import queries

from marina_portal.accounts.logins import hash_password
from marina_portal.boats import papers
from marina_portal.core.formats import paris_today
from marina_portal.models import (
    Boat,
    BoatChange,
    Contract,
    Customer,
    Document,
    InsuranceReminder,
    InsuranceReminderMail,
    Port,
    User,
)


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def insurance(customer, valid_until):
    return Document.create(
        port=customer.port_id,
        customer=customer,
        title="Attestation d'assurance",
        kind="insurance",
        valid_until=valid_until,
        filename="a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="x",
        stored_as="papers/x.pdf",
    )


def holder(port, name, email=None, status="sent", year_offset=0):
    customer = Customer.create(port=port, last_name=name, first_name="", email=email)
    year = paris_today().year + year_offset
    Contract.create(
        port=port,
        customer=customer,
        number=f"K-{name}",
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        status=status,
    )
    return customer


@pytest.fixture
def harbour(app):
    """This year's holders in every insurance situation; returns who must be listed, and at which address."""
    today = paris_today()
    with app.app_context():
        port = Port.get()
        jean = Customer.get(Customer.code == "C0001")
        insurance(jean, today + dt.timedelta(days=90))  # valid
        sophie = Customer.get(Customer.code == "C0002")  # expired; no email on file but a login
        insurance(sophie, today - dt.timedelta(days=1))
        User.create(
            email="sophie.martin@example.com", password_hash=hash_password("x" * 12), customer=sophie, language="en"
        )
        holder(port, "NOPAPER", email="nopaper@example.com")  # none at all
        holder(port, "NOMAIL")  # none, and no address: listed, to be phoned
        insurance(holder(port, "TODAY", email="today@example.com"), today)  # valid through today
        twice = holder(port, "RENEWED", email="renewed@example.com")
        insurance(twice, today - dt.timedelta(days=400))
        insurance(twice, today + dt.timedelta(days=300))
        holder(port, "CANCELLED", email="cancelled@example.com", status="cancelled")
        holder(port, "LASTYEAR", email="lastyear@example.com", year_offset=-1)
    return {"MARTIN SOPHIE": "sophie.martin@example.com", "NOPAPER": "nopaper@example.com", "NOMAIL": ""}


def test_the_list_holds_exactly_those_missing_a_valid_insurance(app, harbour):
    with app.app_context():
        rows = papers.missing_insurance(Port.get())
        assert {row.full_name: row.reminder_email for row in rows} == harbour
        sophie = next(row for row in rows if row.last_name == "MARTIN")
        assert sophie.insured_until == paris_today() - dt.timedelta(days=1) and sophie.reminded_at is None


def test_the_staff_page_and_one_reminder_for_all(app, client, auth, harbour, mailbox, monkeypatch):
    monkeypatch.setattr(papers, "BATCH_SIZE", 1)
    batches = []
    real = papers.send_batch
    monkeypatch.setattr(papers, "send_batch", lambda reminder_id: batches.append(reminder_id) or real(reminder_id))
    auth.staff(role="agent")
    page = text(client.get("/staff/insurance"))
    assert (
        "MARTIN SOPHIE" in page and "expirée le " + (paris_today() - dt.timedelta(days=1)).strftime("%d/%m/%Y") in page
    )
    assert "NOPAPER" in page and "aucune attestation" in page and "aucune — à appeler" in page
    for absent in ("DUPONT", "TODAY", "RENEWED", "CANCELLED", "LASTYEAR"):
        assert absent not in page.split("<tbody>")[1], absent
    assert "Envoyer un rappel par mail à tous (2)" in page
    response = client.post("/staff/insurance/remind", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    messages = mailbox.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["nopaper@example.com", "sophie.martin@example.com"]
    by_address = {m["To"]: m for m in messages}
    assert by_address["nopaper@example.com"]["Subject"] == "Votre attestation d'assurance pour PORT SAINTE MARIE LA MER"
    assert (
        by_address["sophie.martin@example.com"]["Subject"] == "Your insurance certificate for PORT SAINTE MARIE LA MER"
    )
    assert "/my-boat/" in mailbox.text(by_address["nopaper@example.com"])
    assert len(batches) == 2  # one mail per batch here
    with app.app_context():
        reminder = InsuranceReminder.get()
        assert (reminder.mail_sent, reminder.mail_total, reminder.created_by.email) == (2, 2, "agent@example.com")
        assert InsuranceReminderMail.select().where(InsuranceReminderMail.sent_at.is_null()).count() == 0
    after = text(client.get(response.headers["Location"]))
    assert "Rappel en cours d'envoi à 2 plaisanciers." in after and "mails envoyés 2 / 2 (terminé)" in after
    assert after.count(paris_today().strftime("%d/%m/%Y à")) >= 2  # "Dernier rappel" filled in for both


def test_progress_is_a_fragment_for_htmx_only(app, client, auth, harbour, mailbox):
    auth.staff(role="agent")
    client.post(
        "/staff/insurance/remind",
        data={"csrf_token": csrf_token(client.get("/staff/insurance").get_data(as_text=True))},
    )
    assert client.get("/staff/insurance/progress").status_code == 302
    fragment = client.get("/staff/insurance/progress", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert "2 / 2" in text(fragment) and "HX-Request" in fragment.headers["Vary"]


def test_nobody_to_remind_is_said_plainly(app, client, auth, mailbox):
    today = paris_today()
    with app.app_context():
        for code in ("C0001", "C0002"):
            insurance(Customer.get(Customer.code == code), today + dt.timedelta(days=10))
    auth.staff(role="agent")
    page = client.get("/staff/insurance").get_data(as_text=True)
    assert "ont une assurance valable" in page
    response = client.post("/staff/insurance/remind", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "Aucun plaisancier à relancer" in text(response)
    with app.app_context():
        assert InsuranceReminder.select().count() == 0
    assert mailbox.messages == []


def grow(app, n):
    """n more holders missing an insurance, boat changes waiting, and papers for JEAN DUPONT."""
    with app.app_context():
        port = Port.get()
        jean = Customer.get(Customer.code == "C0001")
        start = Customer.select().count()
        for i in range(start, start + n):
            customer = holder(port, f"GROW{i}", email=f"g{i}@example.com")
            boat = Boat.create(customer=customer, name=f"BOAT{i}")
            BoatChange.create(boat=boat, customer=customer, name=f"NEW{i}")
            BoatChange.create(
                boat=boat,
                customer=customer,
                name=f"OLD{i}",
                status="refused",
                decided_at=dt.datetime(2026, 1, 1, 12, 0),
            )
            insurance(jean, paris_today() - dt.timedelta(days=i))
            Boat.create(customer=jean, name=f"JEAN{i}")


@pytest.mark.parametrize(
    "url, who",
    [
        ("/staff/insurance", "staff"),
        ("/staff/boat-changes", "staff"),
        ("/my-boat/", "boater"),
        ("/staff/customers/{id}", "staff"),
    ],
)
def test_page_queries_do_not_grow_with_rows(app, client, auth, url, who):
    if who == "staff":
        auth.staff(role="agent")
    else:
        auth.boater("C0001")
    with app.app_context():
        jean_id = Customer.get(Customer.code == "C0001").id
    grow(app, 1)
    few = queries(client, url.format(id=jean_id))
    grow(app, 12)
    assert queries(client, url.format(id=jean_id)) == few


def test_a_double_click_sends_the_reminder_once(app, client, auth, harbour, mailbox):
    auth.staff(role="agent")
    token = csrf_token(client.get("/staff/insurance").get_data(as_text=True))
    client.post("/staff/insurance/remind", data={"csrf_token": token})
    again = client.post("/staff/insurance/remind", data={"csrf_token": token}, follow_redirects=True)
    assert "Un rappel a déjà été lancé le " in text(again)
    mailbox.wait_for(2)
    with app.app_context():
        assert InsuranceReminder.select().count() == 1 and InsuranceReminderMail.select().count() == 2
    assert len(mailbox.messages) == 2


def test_two_reminders_started_at_once_make_one(app, harbour, mailbox):
    results = at_once(app, *[lambda: papers.start_reminder(Port.get(), None)] * 3)
    assert sorted(type(r).__name__ for r in results) == ["InsuranceReminder", "PaperRefused", "PaperRefused"], results
    with app.app_context():
        assert InsuranceReminderMail.select().count() == 2
