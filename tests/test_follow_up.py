"""Overdue follow-up with a moved clock: the schedule, one reminder per step, stopped by payment, debit, dispute."""

import datetime as dt
import re

from conftest import csrf_token

from marina_portal.billing import follow_up
from marina_portal.core.db import database
from marina_portal.models import AuditLog, Invoice, InvoiceReminder, Payment, Port, ReminderStep


def _due(app, suffix):
    with app.app_context():
        return Invoice.get(Invoice.number.endswith(suffix)).due_on


def _run(app, today):
    with app.app_context():
        sent = follow_up.send_due(today)
        database.close()
    return sent


def _reminders(app):
    with app.app_context():
        return [
            (r.invoice.number[-5:], r.days_after_due, r.kind, r.email)
            for r in InvoiceReminder.select().order_by(InvoiceReminder.id)
        ]


def _set_schedule(client, rows):
    page = client.get("/staff/reminders").get_data(as_text=True)
    fields = {"csrf_token": csrf_token(page)}
    for n in range(1, 7):
        days, kind = rows[n - 1] if n <= len(rows) else ("", "reminder")
        fields[f"days_{n}"], fields[f"kind_{n}"] = str(days), kind
    return client.post("/staff/reminders", data=fields)


def test_no_schedule_no_reminder(app):
    assert _run(app, _due(app, "02135") + dt.timedelta(days=100)) == 0


def test_reminders_follow_the_schedule_and_stop_on_payment(app, client, auth, mailbox):
    auth.staff()
    assert _set_schedule(client, [(15, "reminder"), (30, "reminder"), (45, "formal_notice")]).status_code == 303
    d = _due(app, "02135")
    sophie_late = (d - _due(app, "02301")).days  # SOPHIE MARTIN's invoice fell due earlier
    assert _run(app, d + dt.timedelta(days=14)) == (1 if 14 + sophie_late >= 15 else 0)
    assert not mailbox.messages  # SOPHIE MARTIN has no address: kept on the history, to send by post
    assert _run(app, d + dt.timedelta(days=15)) == 1
    assert _run(app, d + dt.timedelta(days=15)) == 0  # the same day again: nothing more
    mail = mailbox.wait_for(1)[0]
    assert mail["To"] == "jean.dupont@example.com" and "02135" in mail["Subject"]
    text = mailbox.text(mail)
    assert "850,00 €" in text and "/payment/link/" in text
    assert _run(app, d + dt.timedelta(days=30)) >= 1
    assert [r[:3] for r in _reminders(app) if r[0] == "02135"] == [("02135", 15, "reminder"), ("02135", 30, "reminder")]
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith("02135"))
        Payment.create(invoice=invoice, method="cheque", amount_cents=85000, received_on=d)
        database.close()
    _run(app, d + dt.timedelta(days=45))
    assert [r[1] for r in _reminders(app) if r[0] == "02135"] == [15, 30]  # paid: no formal notice
    assert ("02301", 45, "formal_notice", "") in _reminders(app)
    page = re.sub(r"\s+", " ", client.get(f"/staff/invoices/{invoice.id}").get_data(as_text=True))
    assert "Relance (J+15)" in page and "envoyée à jean.dupont@example.com" in page
    with app.app_context():
        assert AuditLog.select().where(AuditLog.action == "invoice.reminder").count() == len(_reminders(app))


def test_a_late_schedule_sends_only_the_latest_step(app, client, auth, mailbox):
    auth.staff()
    _set_schedule(client, [(15, "reminder"), (30, "reminder"), (45, "formal_notice")])
    d = _due(app, "02135")
    _run(app, d + dt.timedelta(days=50))
    assert [r[1:3] for r in _reminders(app) if r[0] == "02135"] == [(45, "formal_notice")]
    assert "Mise en demeure" in mailbox.wait_for(1)[0]["Subject"]


def test_debit_in_progress_card_under_way_and_dispute_stop_reminders(app, client, auth):
    auth.staff()
    _set_schedule(client, [(15, "reminder")])
    d = _due(app, "02135") + dt.timedelta(days=40)
    with app.app_context():
        dupont = Invoice.get(Invoice.number.endswith("02135"))
        Invoice.update(collection_status="in_progress").where(Invoice.id == dupont.id).execute()
        martin = Invoice.get(Invoice.number.endswith("02301"))
        database.close()
    page = client.get(f"/staff/invoices/{martin.id}").get_data(as_text=True)
    response = client.post(
        f"/staff/invoices/{martin.id}/dispute", data={"csrf_token": csrf_token(page), "reason": "Poste non conforme"}
    )
    assert response.status_code == 303
    assert _run(app, d) == 0
    with app.app_context():
        Invoice.update(collection_status="").where(Invoice.id == dupont.id).execute()
        database.close()
    page = client.get(f"/staff/invoices/{martin.id}").get_data(as_text=True)
    assert "Contestée depuis" in page
    client.post(f"/staff/invoices/{martin.id}/dispute", data={"csrf_token": csrf_token(page), "close": "1"})
    assert _run(app, d) == 2


def test_bad_schedules_are_refused_in_french(app, client, auth):
    auth.staff()
    for rows, words in [
        ([("abc", "reminder")], "nombre de jours"),
        ([(0, "reminder")], "entre 1 et 365"),
        ([(400, "reminder")], "entre 1 et 365"),
        ([(15, "reminder"), (15, "formal_notice")], "même jour"),
        ([(15, "nope")], "relance ou mise en demeure"),
    ]:
        response = _set_schedule(client, rows)
        assert response.status_code == 422 and words in response.get_data(as_text=True), rows
    with app.app_context():
        assert not ReminderStep.select().exists()
    assert _set_schedule(client, [(20, "reminder")]).status_code == 303
    with app.app_context():
        assert [(s.days_after_due, s.kind) for s in follow_up.schedule(Port.get())] == [(20, "reminder")]
        assert AuditLog.select().where(AuditLog.action == "reminders.schedule").exists()
    page = client.get("/staff/invoices/1").get_data(as_text=True)
    response = client.post("/staff/invoices/1/dispute", data={"csrf_token": csrf_token(page), "reason": " "})
    assert response.status_code == 303
    assert "Indiquez l&#39;objet" in client.get("/staff/invoices/1").get_data(as_text=True)


def test_staff_send_button_and_the_periodic_task(app, client, auth, mailbox):
    from marina_portal.billing import tasks

    auth.staff()
    _set_schedule(client, [(1, "reminder")])
    page = client.get("/staff/reminders").get_data(as_text=True)
    response = client.post("/staff/reminders/send", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert len(_reminders(app)) == 2  # both demo invoices with a balance are long overdue
    with app.app_context():
        tasks.daily_reminders.call_local()  # the worker's morning run: nothing more the same day
        assert InvoiceReminder.select().count() == 2


def test_an_invoice_in_instalments_is_reminded_only_of_instalments_fallen_due(app, client, auth):
    auth.staff()
    assert _set_schedule(client, [(15, "reminder")]).status_code == 303
    d = _due(app, "02301")
    with app.app_context():
        Invoice.update(payment_schedule="card_3").where(Invoice.number.endswith("02301")).execute()
        invoice = Invoice.get(Invoice.number.endswith("02301"))
        Payment.create(invoice=invoice, method="cheque", amount_cents=78000, received_on=d)  # the first instalment
        database.close()
    second = follow_up.schedules.add_months(d, 1)

    def martin_reminded():
        return [r[:2] for r in _reminders(app) if r[0] == "02301"]

    _run(app, d + dt.timedelta(days=20))
    assert martin_reminded() == []  # the first is paid, the second not yet due
    _run(app, second + dt.timedelta(days=14))
    assert martin_reminded() == []
    _run(app, second + dt.timedelta(days=15))
    assert martin_reminded() == [("02301", 15)]  # 15 days after the second instalment
