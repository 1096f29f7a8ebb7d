"""Mail survives an SMTP outage (retried with backoff for over a day, then shown to staff to resend), a relay
that never answers (timeouts), and a database locked mid-mailing (no mail sent twice)."""

import datetime as dt
import socket
import sqlite3
import threading
import time

from aiosmtpd.controller import Controller
from conftest import Mailbox, csrf_token, free_port, on_sqlite_only

from marina_portal.core import mail
from marina_portal.core.db import database
from marina_portal.models import Customer, NewsItem, Port, QueuedMail, User, utcnow
from marina_portal.port_life import news


def _queue_one(app, to="jean.dupont@example.com"):
    with app.test_request_context():
        row = mail.send_email(to, "Lien de connexion", "news", item=NewsItem(title="T", body="B"), port=Port.get())
        database.close()
    return row.id


def _row(app, mail_id):
    with app.app_context():
        row = QueuedMail.get_by_id(mail_id)
        database.close()
    return row


def _sweep(app, at):
    with app.app_context():
        mail.sweep(now=at)
        database.close()


def test_an_outage_longer_than_a_day_loses_no_mail_and_sends_it_once(make_app, smtp, mailbox):
    app = make_app(MAIL_PORT=free_port())  # nothing listens there: the relay is down
    mail_id = _queue_one(app)
    row = _row(app, mail_id)
    assert (row.status, row.attempts) == ("pending", 1) and "Connection refused" in row.last_error
    start = utcnow()
    for minutes in range(10, 25 * 60, 10):  # 25 hours down, the sweep running every (simulated) 10 minutes
        _sweep(app, start + dt.timedelta(minutes=minutes))
    row = _row(app, mail_id)
    assert row.status == "pending" and row.attempts > 10 and mailbox.messages == []
    app.extensions["mail"].port = smtp.port  # the relay is back
    for minutes in (25 * 60 + 30, 25 * 60 + 40, 25 * 60 + 100):
        _sweep(app, start + dt.timedelta(minutes=minutes))
    assert [m["To"] for m in mailbox.wait_for(1)] == ["jean.dupont@example.com"]
    assert _row(app, mail_id).status == "sent"
    time.sleep(0.2)
    assert len(mailbox.messages) == 1


def test_an_undelivered_mail_is_listed_for_staff_who_resend_it(make_app, smtp, mailbox, auth):
    app = make_app(MAIL_PORT=free_port())
    mail_id = _queue_one(app, "sophie@example.com")
    _sweep(app, utcnow() + mail.GIVE_UP_AFTER + dt.timedelta(minutes=5))  # past the day of retries
    assert _row(app, mail_id).status == "failed"
    client = app.test_client()
    auth.__class__(app, client).staff()
    page = client.get("/staff/mails").get_data(as_text=True)
    assert "sophie@example.com" in page and "Lien de connexion" in page and "Connection refused" in page
    assert "abandonné" in page and "Renvoyer" in page
    app.extensions["mail"].port = smtp.port
    response = client.post(f"/staff/mails/{mail_id}/resend", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert [m["To"] for m in mailbox.wait_for(1)] == ["sophie@example.com"]
    assert "Mail renvoyé à sophie@example.com." in client.get("/staff/mails").get_data(as_text=True)
    assert _row(app, mail_id).status == "sent"


class Silent:
    """An SMTP relay that accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        for conn in self.held:
            conn.close()
        self.sock.close()


def test_a_silent_relay_times_out_the_send_which_is_retried_later(make_app, smtp, mailbox):
    silent = Silent()
    try:
        app = make_app(MAIL_PORT=silent.port, MAIL_TIMEOUT=1)
        done = threading.Event()
        ids = []
        worker = threading.Thread(target=lambda: ids.append(_queue_one(app)) or done.set(), daemon=True)
        started = time.monotonic()
        worker.start()
        assert done.wait(10), "the send is stuck on a silent relay"
        assert time.monotonic() - started < 5
        row = _row(app, ids[0])
        assert row.status == "pending" and "timed out" in row.last_error and row.next_attempt_at > utcnow()
        # the next job runs, and the stuck mail leaves once the relay answers
        app.extensions["mail"].port = smtp.port
        other = _queue_one(app, "sophie@example.com")
        assert [m["To"] for m in mailbox.wait_for(1)] == ["sophie@example.com"] and _row(app, other).status == "sent"
        _sweep(app, utcnow() + dt.timedelta(minutes=2))
        assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["jean.dupont@example.com", "sophie@example.com"]
    finally:
        silent.close()


class LockingMailbox(Mailbox):
    """Takes the database's write lock from another connection for `hold` seconds when the first mail arrives."""

    def __init__(self, path, hold):
        super().__init__()
        self.path, self.hold, self.locked = path, hold, threading.Event()

    def _hold_the_write_lock(self):
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("begin immediate")
        self.locked.set()
        time.sleep(self.hold)
        conn.execute("rollback")
        conn.close()

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            threading.Thread(target=self._hold_the_write_lock, daemon=True).start()
            self.locked.wait(5)
        return answer


@on_sqlite_only
def test_a_write_lock_held_during_a_mailing_sends_no_mail_twice(make_app, tmp_path):
    box = LockingMailbox(str(tmp_path / "portal.sqlite3"), hold=1.5)
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = make_app(MAIL_PORT=controller.port, SQLITE_BUSY_TIMEOUT_MS=300)
        with app.app_context():
            port = Port.get()
            for n in range(3):
                customer = Customer.create(port=port, last_name=f"P{n}", email=f"p{n}@example.com")
                User.create(email=f"p{n}@example.com", customer=customer)
            database.close()
        with app.test_request_context():
            item = news.publish(Port.get(), None, "Travaux", "Quai fermé.", send_mail=True)
            database.close()
        time.sleep(1.6)  # the lock is gone; the sweep takes the mails left back once their lease ends
        _sweep(app, utcnow() + dt.timedelta(minutes=5))
        assert sorted(m["To"] for m in box.wait_for(3)) == ["p0@example.com", "p1@example.com", "p2@example.com"]
        time.sleep(0.2)
        assert len(box.messages) == 3
        with app.app_context():
            assert NewsItem.get_by_id(item.id).mail_sent == 3
            database.close()
    finally:
        controller.stop()


def test_the_final_dot_is_not_held_back_by_nagle(app, mailbox):
    """A mail leaves in two writes (its data, then the final dot after it is recorded as sent): with Nagle's
    algorithm the dot waited for the server's delayed ACK, 40 ms a mail (5,000 invoice mails took 263 s)."""
    from marina_portal.core import smtp

    with app.app_context():
        sender = smtp.Sender(app.config)
        try:
            connection = sender._open()
            assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            for n in range(20):
                row = QueuedMail(to=f"p{n}@example.com", subject="Essai", text="Bonjour", html="", attachments="[]")
                sender.send(row, claim=lambda: None)
        finally:
            sender.close()
        database.close()
    assert len(mailbox.wait_for(20)) == 20  # sent whole over the one connection (the time is make bench's)
