"""The billing year's figures for `make bench`, each from the command an installer runs:

- the yearly invoicing run (`flask billing run --year`) over 5,000 contracts, issued and mailed to a real SMTP
  server on loopback (aiosmtpd), timed from the command's start to the last mail received; then run again,
  which must issue and mail nothing;
- the accountant's FEC (`flask accounting fec`) of the large marina (100,000 invoices, 60,000 payments) over
  the four years its invoices span, with the file's line count and a check that every entry balances.

Run alone: `.venv/bin/python bench/billing.py [path of the large database]`.
"""

import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict

from aiosmtpd.controller import Controller

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
from build_db import _app, add_season_contracts, build_demo  # noqa: E402

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "5000"))
SECRET = "bench-secret-key-0123456789abcdef"


class Counting:
    """An SMTP handler that counts what it accepts, and says when it has `expected` messages."""

    def __init__(self):
        self.received, self.lock, self.reached, self.expected = 0, threading.Lock(), threading.Event(), None

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received += 1
            if self.expected is not None and self.received >= self.expected:
                self.reached.set()
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(database, data_dir, *args, smtp_port=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_")}
    env.update(
        MARINA_DATABASE=database,
        MARINA_DATA_DIR=data_dir,
        MARINA_SECRET_KEY=SECRET,
        MARINA_BASE_URL="https://portail.example.org",
        MARINA_HUEY_IMMEDIATE="true",
    )
    if smtp_port:
        env.update(MARINA_MAIL_SERVER="127.0.0.1", MARINA_MAIL_PORT=str(smtp_port))
    command = [os.path.join(ROOT, ".venv", "bin", "flask"), "--app", "marina_portal", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)


def yearly_run():
    with tempfile.TemporaryDirectory() as folder:
        database, data_dir = os.path.join(folder, "portal.sqlite3"), os.path.join(folder, "data")
        build_demo(database, data_dir)
        year = add_season_contracts(_app(database, data_dir), CONTRACTS)
        handler = Counting()
        handler.expected = CONTRACTS
        smtp_port = free_port()
        smtp = Controller(handler, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        try:

            def run():
                return flask(database, data_dir, "billing", "run", "--year", str(year), smtp_port=smtp_port)

            started = time.monotonic()
            first = run()
            issued_s = time.monotonic() - started
            handler.reached.wait(120)
            mailed_s = time.monotonic() - started
            received_after_first = handler.received
            started = time.monotonic()
            second = run()
            second_s = time.monotonic() - started
            time.sleep(1)  # a mail the second run might send would arrive by now
        finally:
            smtp.stop()
    figures = {
        "contracts": CONTRACTS,
        "issued_and_mailed_s": round(mailed_s, 1),
        "command_s": round(issued_s, 1),
        "mails_received": received_after_first,
        "said": first.stdout.strip().splitlines()[-1],
        "second_run_s": round(second_s, 1),
        "second_run_said": second.stdout.strip().splitlines()[-1],
        "second_run_mails": handler.received - received_after_first,
        "target_s": 60,
    }
    print(
        f"yearly run: {CONTRACTS} invoices issued and mailed in {figures['issued_and_mailed_s']} s "
        f"({received_after_first} mails received; target 60 s); run again: {figures['second_run_said']!r} "
        f"in {figures['second_run_s']} s, {figures['second_run_mails']} mail"
    )
    return figures


def fec(large_database):
    """The FEC of every year the large marina's invoices span, and whether each entry balances."""
    today = dt.date.today()
    start, end = dt.date(today.year - 3, 1, 1), dt.date(today.year, 12, 31)
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "fec.txt")
        started = time.monotonic()
        flask(
            large_database,
            large_database.replace(".sqlite3", "-data"),
            "accounting",
            "fec",
            "--from",
            start.isoformat(),
            "--to",
            end.isoformat(),
            "-o",
            out,
        )
        seconds = time.monotonic() - started
        balance, lines = defaultdict(int), 0
        with open(out, encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            debit, credit, number = header.index("Debit"), header.index("Credit"), header.index("EcritureNum")
            for line in f:
                cells = line.rstrip("\n").split("\t")
                cents = lambda text: int(text.replace(",", ""))  # noqa: E731  "1234,56" -> 123456
                balance[cells[number]] += cents(cells[debit]) - cents(cells[credit])
                lines += 1
    unbalanced = sum(1 for total in balance.values() if total)
    figures = {
        "period": f"{start}..{end}",
        "seconds": round(seconds, 1),
        "lines": lines,
        "entries": len(balance),
        "unbalanced_entries": unbalanced,
        "target_s": 30,
    }
    print(
        f"FEC of the large marina ({start} to {end}): {lines} lines, {len(balance)} entries "
        f"({unbalanced} unbalanced) in {figures['seconds']} s (target 30 s)"
    )
    return figures


if __name__ == "__main__":
    print(yearly_run())
    if len(sys.argv) > 1:
        print(fec(sys.argv[1]))
