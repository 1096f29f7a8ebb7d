"""`make bench`: serve the demo and a large database with gunicorn (2 workers), load them with wrk from
another process, and write every figure of one run to bench/results.json."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
from billing import fec, yearly_run  # noqa: E402
from build_db import BENCH_EMAIL, BENCH_PASSWORD, BUILD_VERSION, DEMO_TWIN_EMAIL  # noqa: E402

DATA = os.path.join(HERE, "data")
DURATION = os.environ.get("BENCH_SECONDS", "10")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "8")
PRELOAD = os.environ.get("BENCH_PRELOAD", "1") == "1"  # as docs/deploy.md runs it: code shared by fork
COLD_PDFS = []  # other invoices of the bench boater, each downloaded once: a render every time
PDF_ENDPOINTS = ("account.invoice_pdf", "account.pdf", "invoices.pdf")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(kind):
    path = os.path.join(DATA, f"{kind}-v{BUILD_VERSION}.sqlite3")
    if not os.path.exists(path):
        os.makedirs(DATA, exist_ok=True)
        started = time.monotonic()
        subprocess.run([sys.executable, os.path.join(HERE, "build_db.py"), kind, path], check=True)
        print(f"built {kind} database in {time.monotonic() - started:.1f} s")
    return path


class Server:
    def __init__(self, database):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            MARINA_DATABASE=database,
            MARINA_DATA_DIR=database.replace(".sqlite3", "-data"),
            MARINA_SECRET_KEY="bench-secret-key-0123456789abcdef",
            MARINA_QUERY_COUNT_HEADER="true",
            MARINA_LOGIN_LIMIT="100000/minute",
            MARINA_HUEY_IMMEDIATE="true",
            MARINA_BASE_URL=f"http://127.0.0.1:{self.port}",
        )
        self.process = subprocess.Popen(
            [
                os.path.join(ROOT, ".venv", "bin", "gunicorn"),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                *(["--preload"] if PRELOAD else []),
                "marina_portal:create_app()",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def workers(self):
        return subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()

    def worker_peak_rss_mb(self):
        peaks = []
        for pid in self.workers():
            with open(f"/proc/{pid}/status") as f:
                found = re.search(r"VmHWM:\s+(\d+) kB", f.read())
            peaks.append(int(found.group(1)) / 1024 if found else 0)
        return peaks

    def worker_memory_mb(self):
        """Each worker's memory now: RSS, PSS (shared pages split between the processes sharing them)
        and USS (pages that are its own: what a worker really adds)."""
        memory = []
        for pid in self.workers():
            with open(f"/proc/{pid}/smaps_rollup") as f:
                kb = {
                    k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in f if ":" in line and "kB" in line)
                }
            memory.append(
                {
                    "rss": round(kb["Rss"] / 1024, 1),
                    "pss": round(kb["Pss"] / 1024, 1),
                    "uss": round((kb["Private_Clean"] + kb["Private_Dirty"]) / 1024, 1),
                }
            )
        return memory

    def workers_cpu_seconds(self):
        """CPU time (user + system) the workers have used so far: a per-request cost that other
        processes on the machine do not inflate, unlike throughput."""
        total = 0
        for pid in subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split():
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)


def login(server, email=BENCH_EMAIL):
    session = requests.Session()
    page = session.get(server.url + "/").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = session.post(
        server.url + "/login",
        data={"csrf_token": token, "email": email, "password": BENCH_PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 303, "bench login failed"
    return session


def pages(database):
    """The URLs to measure, built from the app's own routes."""
    from marina_portal import create_app
    from marina_portal.core.db import database as db
    from marina_portal.models import Invoice, User

    app = create_app({"DATABASE": database, "SECRET_KEY": "x" * 32})
    with app.app_context(), app.test_request_context():
        from flask import url_for

        user = User.get(User.email == BENCH_EMAIL)
        invoices = list(Invoice.select().where(Invoice.customer == user.customer_id).order_by(Invoice.id).limit(6))
        invoice = invoices[0]
        urls = {"healthz": "/healthz"}
        for name, endpoint in (("compte_client", "account.show"), ("contrat", "contract.show")):
            if endpoint in app.view_functions:
                urls[name] = url_for(endpoint)
        for endpoint in PDF_ENDPOINTS:
            if endpoint in app.view_functions:
                urls["invoice_pdf"] = url_for(endpoint, invoice_id=invoice.id)
                COLD_PDFS[:] = [url_for(endpoint, invoice_id=i.id) for i in invoices[1:]]
                break
        db.close()
    return urls


def wrk(url, cookie):
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            CONNECTIONS,
            "-d",
            f"{DURATION}s",
            "--latency",
            "-s",
            os.path.join(HERE, "report.lua"),
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure_page(kind, server, session, name, path):
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    started = time.monotonic()
    probe = session.get(server.url + path, allow_redirects=False)
    first_ms = (time.monotonic() - started) * 1000
    assert probe.status_code == 200, f"{path} answered {probe.status_code}"
    cpu_before = server.workers_cpu_seconds()
    figures = wrk(server.url + path, cookie)
    figures["worker_cpu_ms_per_request"] = round(
        (server.workers_cpu_seconds() - cpu_before) * 1000 / max(figures["requests"], 1), 3
    )
    figures["queries"] = int(probe.headers.get("X-Query-Count", -1))
    figures["first_request_ms"] = round(first_ms, 1)  # for the PDF: the render, before any cache
    figures["path"] = path
    print(
        f"{kind:5} {name:26} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.2f} ms  "
        f"p95 {figures['p95_ms']:7.2f} ms  cpu {figures['worker_cpu_ms_per_request']:6.2f} ms/req  "
        f"queries {figures['queries']}"
    )
    return figures


def measure(kind):
    database = build(kind)
    urls = pages(database)
    # Each run renders its own PDFs: the first download below is a real render, the rest read the cache.
    shutil.rmtree(database.replace(".sqlite3", "-data") + "/pdf-cache", ignore_errors=True)
    server = Server(database)
    try:
        session = login(server)
        results = {name: measure_page(kind, server, session, name, path) for name, path in urls.items()}
        if kind == "large" and "compte_client" in urls:
            # JEAN DUPONT's two invoices, as on the demo: only the database's size differs.
            results["compte_client_demo_boater"] = measure_page(
                kind, server, login(server, DEMO_TWIN_EMAIL), "compte_client_demo_boater", urls["compte_client"]
            )
        if COLD_PDFS:
            timings = []
            for path in COLD_PDFS:
                started = time.monotonic()
                assert session.get(server.url + path).status_code == 200
                timings.append((time.monotonic() - started) * 1000)
            results["invoice_pdf_first_download_ms"] = {
                "median": round(sorted(timings)[len(timings) // 2], 1),
                "all": [round(t, 1) for t in timings],
            }
            print(f"{kind:5} invoice PDF first downloads (rendered): {results['invoice_pdf_first_download_ms']}")
        results["worker_peak_rss_mb"] = server.worker_peak_rss_mb()
        results["worker_memory_after_mix_mb"] = server.worker_memory_mb()
        return results
    finally:
        server.stop()


def main():
    demo = measure("demo")
    large = measure("large")
    billing = {"yearly_run": yearly_run(), "fec": fec(build("large"))}
    floor = large["healthz"]
    measured = {k: v for k, v in large.items() if isinstance(v, dict) and "rps" in v}
    report = {
        "machine": {
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            "load": "wrk -t2 -c" + CONNECTIONS,
            "seconds_per_page": int(DURATION),
            "gunicorn_preload": PRELOAD,
            "load_average_at_end": os.getloadavg(),
        },
        "demo": demo,
        "large": large,
        "ratios_to_healthz": {k: round(v["rps"] / floor["rps"], 3) for k, v in measured.items() if k != "healthz"},
        # The same ratio from the workers' CPU time per request, which other processes on the machine do not skew.
        "cpu_ratios_to_healthz": {
            k: round(floor["worker_cpu_ms_per_request"] / v["worker_cpu_ms_per_request"], 3)
            for k, v in measured.items()
            if k != "healthz"
        },
        # The same boater and invoices on both databases (JEAN DUPONT's two): what the ledger's size costs.
        "compte_client_p95_large_over_demo": (
            round(large["compte_client_demo_boater"]["p95_ms"] / demo["compte_client"]["p95_ms"], 3)
            if "compte_client_demo_boater" in large
            else None
        ),
        # The bench boater's 40 invoices on the large database against JEAN DUPONT's 2 on the demo.
        "compte_client_p95_40_rows_large_over_2_rows_demo": (
            round(large["compte_client"]["p95_ms"] / demo["compte_client"]["p95_ms"], 3)
            if "compte_client" in large
            else None
        ),
        "queries_constant": {k: demo[k]["queries"] == large[k]["queries"] for k in measured if k in demo},
        # Both databases' port has its SIREN and VAT number: every invoice PDF carries its Factur-X XML.
        "invoice_pdf_median_ms": large["invoice_pdf"]["p50_ms"] if "invoice_pdf" in large else None,
        "invoice_pdf_first_render_median_ms": large.get("invoice_pdf_first_download_ms", {}).get("median"),
        "billing": billing,
        "worker_peak_rss_mb": max(demo["worker_peak_rss_mb"] + large["worker_peak_rss_mb"]),
        "worker_memory_after_mix_mb": large["worker_memory_after_mix_mb"],
    }
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(
        json.dumps(
            {
                k: report[k]
                for k in (
                    "ratios_to_healthz",
                    "cpu_ratios_to_healthz",
                    "compte_client_p95_large_over_demo",
                    "compte_client_p95_40_rows_large_over_2_rows_demo",
                    "queries_constant",
                    "invoice_pdf_median_ms",
                    "invoice_pdf_first_render_median_ms",
                    "billing",
                    "worker_peak_rss_mb",
                    "worker_memory_after_mix_mb",
                )
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
