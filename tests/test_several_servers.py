"""A host's set-up: several gunicorn app servers on one database and one real Redis (limits, Huey queue).

Needs Debian's redis-server; skipped without it, except when REQUIRE_REDIS=1 (set by .ci/run) makes that a failure.
"""

import os
import shutil
import subprocess
import sys
import time

import pytest
import requests
from conftest import csrf_token, free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JEAN = "jean.dupont@example.com"


def wait_until(ready, what, process, log, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if ready():
                return
        except Exception:  # not listening yet
            pass
        time.sleep(0.1)
    process.kill()
    process.wait(5)
    with open(log) as f:
        raise RuntimeError(f"{what} did not start:\n{f.read()[-3000:]}")


def stop(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A throw-away redis-server on a free loopback port, nothing saved to disk."""
    missing = (
        "Debian's redis-server is not installed (.ci/run installs it)" if not os.path.exists(REDIS_SERVER) else None
    )
    try:
        import redis
    except ImportError:
        missing = missing or "the redis client package is not installed (requirements.txt pins it)"
    if missing:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(missing + ", and REQUIRE_REDIS=1 says these tests must run")
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = folder / "redis.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    client = redis.Redis(host="127.0.0.1", port=port)
    wait_until(client.ping, "redis-server", process, log)
    yield f"redis://127.0.0.1:{port}", client
    client.close()
    stop(process)


@pytest.fixture
def redis_url(redis_server):
    url, client = redis_server
    client.flushall()  # each test starts with no counts and an empty queue
    return url


class AppServer:
    """One gunicorn app server in its own process, configured the way a host does: MARINA_* variables."""

    def __init__(self, app, log, **settings):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = host_environment(app, BASE_URL=self.url, **settings)
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    "1",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--log-level",
                    "warning",
                    "--graceful-timeout",
                    "1",
                    "marina_portal:create_app()",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait(self):
        wait_until(lambda: requests.get(self.url + "/healthz", timeout=2).ok, "gunicorn", self.process, self.log)


def host_environment(app, **settings):
    """The environment of a process sharing the test app's database, files, secret and mail server."""
    config = app.config
    values = dict(
        DATABASE=config["DATABASE"],
        DATA_DIR=config["DATA_DIR"],
        SECRET_KEY=config["SECRET_KEY"],
        MAIL_SERVER=config["MAIL_SERVER"],
        MAIL_PORT=config["MAIL_PORT"],
        MAIL_OUTBOX=False,
        MONETICO_SANDBOX=True,
        HUEY_IMMEDIATE=False,
        LOGIN_LIMIT="1000/minute",
        MAIL_LIMIT="1000/minute",
        SIGNING_KEY_FILE=config["SIGNING_KEY_FILE"],
        SIGNING_CERT_FILE=config["SIGNING_CERT_FILE"],
    )
    values.update(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_")}
    for key, value in values.items():
        env["MARINA_" + key] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


@pytest.fixture
def app_servers(make_app, tmp_path):
    """start(n, **settings): n app servers on one fresh demo database; all stopped at the end."""
    started = []

    def start(count, **settings):
        app = make_app()
        servers = []
        for _ in range(count):  # started together, then awaited
            servers.append(AppServer(app, tmp_path / f"gunicorn{len(started)}.log", **settings))
            started.append(servers[-1])
        for server in servers:
            server.wait()
        return servers

    yield start
    for server in started:
        stop(server.process)


def failed_logins_across(servers, attempts):
    """Wrong passwords for JEAN DUPONT, taking turns between the servers, from one browser (one cookie)."""
    http = requests.Session()
    token = csrf_token(http.get(servers[0].url + "/").text)
    responses = []
    for n in range(attempts):
        server = servers[n % len(servers)]
        responses.append(
            http.post(server.url + "/login", timeout=10, data={"csrf_token": token, "email": JEAN, "password": "guess"})
        )
    return responses


def test_app_servers_sharing_redis_share_the_login_limit(app_servers, redis_url):
    first, second = app_servers(
        2, LOGIN_LIMIT="4/minute", RATELIMIT_STORAGE_URI=redis_url + "/0", HUEY_URL=redis_url + "/1"
    )
    responses = failed_logins_across([first, second], 6)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429, 429]
    assert "Mot de passe" in responses[3].text  # a wrong password: the login page again, signed in on neither
    for refused in responses[4:]:
        assert "Trop de tentatives" in refused.text and "Patientez quelques minutes" in refused.text


def test_with_memory_storage_each_app_server_counts_alone(app_servers, redis_url):
    first, second = app_servers(2, LOGIN_LIMIT="4/minute", RATELIMIT_STORAGE_URI="memory://", HUEY_URL=redis_url + "/1")
    statuses = [r.status_code for r in failed_logins_across([first, second], 10)]
    # twice the allowance: why several app servers need a shared storage
    assert statuses == [200] * 8 + [429, 429]


def test_with_redis_unreachable_logins_go_on_and_each_server_counts_alone(app_servers):
    (server,) = app_servers(1, LOGIN_LIMIT="2/minute", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    responses = failed_logins_across([server], 3)
    assert [r.status_code for r in responses] == [200, 200, 429]  # never "Erreur du portail"
    assert "Trop de tentatives" in responses[2].text


def test_a_mail_queued_by_an_app_server_is_sent_by_a_separate_consumer(app_servers, redis_url, mailbox, tmp_path):
    from huey import RedisHuey

    (server,) = app_servers(1, RATELIMIT_STORAGE_URI=redis_url + "/0", HUEY_URL=redis_url + "/1")
    http = requests.Session()
    token = csrf_token(http.get(server.url + "/password/forgot").text)
    response = http.post(
        server.url + "/password/forgot", data={"csrf_token": token, "email": JEAN}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303
    queue = RedisHuey("marina-portal", url=redis_url + "/1")
    assert queue.pending_count() == 1  # waiting in Redis: the page did not send it itself
    time.sleep(0.3)
    assert mailbox.messages == []

    log = tmp_path / "consumer.log"
    with open(log, "w") as out:
        consumer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "huey.bin.huey_consumer",
                "marina_portal.worker.huey",
                "--workers",
                "1",
                "--no-periodic",
            ],
            cwd=ROOT,
            env=server.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            mailbox.wait_for(1, timeout=30)
        except AssertionError:
            consumer.terminate()
            consumer.wait(10)
            raise AssertionError("no mail from the consumer:\n" + log.read_text()[-3000:]) from None
    finally:
        stop(consumer)
    message = mailbox.last(JEAN)
    link = mailbox.link(JEAN)
    assert link.startswith(server.url + "/password/")
    assert queue.pending_count() == 0
    assert http.get(link, timeout=10).status_code == 200  # the mailed link opens on the app server
    assert "LOGIN" in mailbox.text(message).upper()


def test_the_queue_reads_huey_url_from_instance_config(tmp_path):
    """The consumer imports the queue before any app: instance/config.py must still count."""
    shutil.copytree(
        os.path.join(ROOT, "marina_portal"),
        tmp_path / "marina_portal",
        ignore=shutil.ignore_patterns("static", "templates", "translations", "__pycache__"),
    )
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text('HUEY_URL = "redis://127.0.0.1:1/7"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_")}
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from marina_portal.core.queue import huey; "
            "print(type(huey).__name__, huey.storage.conn.connection_pool.connection_kwargs['db'])",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.stdout.split() == ["RedisHuey", "7"], shown.stderr
