"""A news mailing to 200 boaters survives its consumer killed halfway (SIGKILL, or SIGTERM as `systemctl
restart` sends it): once a consumer runs again, every boater has exactly one mail and staff see 200 / 200."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from aiosmtpd.controller import Controller
from conftest import Mailbox, free_port, on_sqlite_only

from marina_portal.core.db import database
from marina_portal.models import Customer, NewsItem, Port, User
from marina_portal.port_life import news

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOATERS = 200


class SlowMailbox(Mailbox):
    """A relay that queues each mail when its final dot arrives, as an MTA does, then takes 15 ms to answer,
    so that a kill lands mid-mailing."""

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(0.015)
        return answer


def consumer(settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_")}
    env.update({f"MARINA_{k}": str(v) for k, v in settings.items()})
    huey_consumer = os.path.join(os.path.dirname(sys.executable), "huey_consumer")
    return subprocess.Popen(
        [huey_consumer, "marina_portal.worker.huey", "-w", "2", "-k", "thread"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process, signum):
    process.send_signal(signum)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@on_sqlite_only
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_mailing_killed_halfway_finishes_once_after_a_restart(make_app, tmp_path, monkeypatch, signum):
    box = SlowMailbox()
    relay = Controller(box, hostname="127.0.0.1", port=free_port())
    relay.start()
    settings = {
        "DATABASE": tmp_path / "portal.sqlite3",
        "DATA_DIR": tmp_path / "data",
        "SECRET_KEY": "consumer-secret",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": relay.port,
        "MAIL_OUTBOX": "false",
        "HUEY_IMMEDIATE": "false",
    }
    try:
        app = make_app(MAIL_PORT=relay.port)
        with app.app_context():
            port = Port.get()
            for n in range(BOATERS):
                customer = Customer.create(port=port, last_name=f"P{n:03}", email=f"p{n:03}@example.com")
                User.create(email=f"p{n:03}@example.com", customer=customer)
            database.close()
        # Published from the web: the mails are kept, the batch task goes to the consumer (none runs here).
        monkeypatch.setattr(news, "send_news_batch", lambda news_id: None)
        with app.test_request_context():
            item = news.publish(Port.get(), None, "Travaux", "Quai fermé lundi.", send_mail=True)
            database.close()
        first = consumer(settings)
        try:
            box.wait_for(60, timeout=60)
        finally:
            stop(first, signum)
        sent_before = len(box.messages)
        assert sent_before < BOATERS, "the mailing ended before the kill"
        second = consumer(settings)
        try:
            messages = box.wait_for(BOATERS, timeout=90)
            time.sleep(1)
        finally:
            stop(second, signal.SIGINT)
        recipients = sorted(m["To"] for m in box.messages)
        assert recipients == [f"p{n:03}@example.com" for n in range(BOATERS)], (sent_before, len(messages))
        with app.app_context():
            assert NewsItem.get_by_id(item.id).mail_sent == BOATERS
            database.close()
    finally:
        relay.stop()
