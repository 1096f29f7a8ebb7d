"""Settings: defaults, development defaults, instance/config.py, then MARINA_* variables (which win)."""

import json
import os
import secrets

from flask import Config, Flask

from marina_portal.core.urls import trusted_hosts

PROJECT_ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
INSTANCE_PATH = os.path.join(PROJECT_ROOT, "instance")


class Defaults:
    DATABASE = "data/portal.sqlite3"
    DATA_DIR = "data"
    BASE_URL = "http://127.0.0.1:5000"
    ALLOW_HTTP = False  # production accepts an http:// BASE_URL only when set (a test on a local network)
    EXTRA_HOSTS = None  # other names the portal answers to besides BASE_URL's host (a list, or "a,b")
    PORT_CODE = "STEMARIE66"
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "Capitainerie <no-reply@marina.invalid>"
    DISK_RESERVE_MB = 50  # uploads and PDFs leave this much free for the database (core.storage)
    MAIL_TIMEOUT = 30  # seconds to connect to the SMTP server, and for each of its answers
    MAIL_OUTBOX = False  # store mails in the database and show them at /dev/outbox instead of sending
    MONETICO_URL = None
    MONETICO_SANDBOX = False
    MONETICO_TPE = "1234567"
    MONETICO_KEY = "12345678901234567890123456789012345678P0"
    MONETICO_COMPANY = "marinademo"
    PAYMENT_GATEWAY = "monetico"
    EINVOICING_CHANNEL = "file-drop"  # business customers' invoices: einvoicing/ (file-drop or chorus-pro)
    EINVOICING_PUBLIC_CHANNEL = "chorus-pro"  # customers recorded as public buyers
    EINVOICING_DROP_DIR = None  # the folder the approved platform's connector collects (out/, ack/, in/)
    EINVOICING_CHORUS_DIR = None  # the Chorus Pro exchange folder (out/, cr/)
    EINVOICING_CHORUS_SANDBOX = False  # Chorus Pro played offline (einvoicing/sandbox.py) when statuses are read
    EINVOICING_PLATFORM_SANDBOX = False  # the approved platform played offline (einvoicing/platform_sandbox.py)
    HUEY_URL = None
    HUEY_IMMEDIATE = False
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # shared storage unreachable: each process counts alone meanwhile
    APP_SERVERS = 1  # app servers behind the proxy; above 1, production wants limits and jobs in Redis
    TRUSTED_PROXIES = 0  # reverse proxies in front whose X-Forwarded-For/-Proto are believed (1 behind Caddy/nginx)
    LOGIN_LIMIT = "10/minute;50/hour"
    MAIL_LIMIT = "5/minute;20/hour"
    # Case 2 (an invoice proves a contract): wrong guesses per invoice number, and for the whole portal, so
    # that changing address and email at each try does not give an attacker more.
    REGISTER_INVOICE_LIMIT = "5/hour;10/day"
    REGISTER_LIMIT = "30/hour;100/day"
    NOTIFY_MAX_BYTES = 16 * 1024  # the bank's notification is under 4 KB: larger bodies are refused unread
    NOTIFY_BAD_SEAL_LIMIT = "20/hour"  # calls with a bad seal per address before it is refused (429)
    TOKEN_MAX_AGE = 24 * 3600
    PAY_LINK_MAX_AGE = 60 * 24 * 3600  # a pay link in an invoice or reminder mail
    WTF_CSRF_TIME_LIMIT = None  # a form left open all day still posts; the token stays tied to the session
    SESSION_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 30 * 24 * 3600  # « Rester connecté »; the server ends idle sessions sooner
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # one document published in ESPACE DE TELECHARGEMENT
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    BABEL_TRANSLATION_DIRECTORIES = "translations"  # relative to marina_portal/
    SIGNING_KEY_FILE = None  # PEM key and certificate used to seal PDFs; generated under instance/ when unset
    SIGNING_CERT_FILE = None
    SIGNING_DIR = None  # where a self-made pair lives (instance/signing when unset)
    SIGNING_CERT_FINGERPRINTS = ""  # SHA-256 of earlier port certificates whose seals still count as the port's
    TSA_URL = None  # RFC 3161 timestamp authority: seals then carry a trusted time (PAdES B-T)
    TSA_CERT_FILE = None  # the authority's root certificate (PEM), to check its timestamps


DEV_DEFAULTS = {
    "MAIL_OUTBOX": True,
    "MONETICO_SANDBOX": True,
    "EINVOICING_CHORUS_SANDBOX": True,
    "EINVOICING_PLATFORM_SANDBOX": True,
    "HUEY_IMMEDIATE": True,
}


ENVIRONMENT_FILE = "portal.env"  # MARINA_KEY=value lines, also given to systemd as EnvironmentFile=


def _read(settings):
    """Defaults, development defaults, instance/config.py, instance/portal.env, then MARINA_* variables: the
    same for gunicorn, the worker and every `flask` command, whoever starts them."""
    settings.from_object(Defaults)
    sources = []
    if os.environ.get("MARINA_DEV") == "1":
        settings.update(DEV_DEFAULTS)
    if settings.from_pyfile("config.py", silent=True):
        sources.append("instance/config.py")
    if _read_environment_file(settings):
        sources.append(f"instance/{ENVIRONMENT_FILE}")
    if any(name.startswith("MARINA_") and name != "MARINA_DEV" for name in os.environ):
        sources.append("variables MARINA_*")
    settings.from_prefixed_env("MARINA")
    settings["SETTINGS_SOURCES"] = sources


def _read_environment_file(settings):
    """instance/portal.env, the file a systemd unit reads with EnvironmentFile=: read here too, so that a
    `flask …` command typed in a shell sees what gunicorn sees. A variable set in the process still wins."""
    path = os.path.join(settings.root_path, ENVIRONMENT_FILE)
    if not os.path.isfile(path):
        return False
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, sep, value = line.strip().partition("=")
            name = name.strip()
            if not sep or name.startswith("#") or not name.startswith("MARINA_") or name in os.environ:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            try:
                settings[name[len("MARINA_") :]] = json.loads(value)
            except ValueError:
                settings[name[len("MARINA_") :]] = value
    return True


def settings(instance_path: str = INSTANCE_PATH) -> Config:
    """The settings without an app, for what is built on import (the queue)."""
    result = Config(instance_path)
    _read(result)
    return result


def load(app: Flask, test_config: dict | None = None) -> None:
    _read(app.config)
    if test_config:
        app.config.update(test_config)
    # A real SMTP server or bank page named explicitly switches the development stand-ins off.
    if os.environ.get("MARINA_MAIL_SERVER") and "MARINA_MAIL_OUTBOX" not in os.environ:
        app.config["MAIL_OUTBOX"] = False
    if os.environ.get("MARINA_MONETICO_URL") and "MARINA_MONETICO_SANDBOX" not in os.environ:
        app.config["MONETICO_SANDBOX"] = False
    # The real platform's exchange folder named explicitly: its connector answers, not the sandbox.
    if os.environ.get("MARINA_EINVOICING_DROP_DIR") and "MARINA_EINVOICING_PLATFORM_SANDBOX" not in os.environ:
        app.config["EINVOICING_PLATFORM_SANDBOX"] = False
    if app.config["MONETICO_SANDBOX"] and not app.config.get("MONETICO_URL"):
        app.config["MONETICO_URL"] = app.config["BASE_URL"].rstrip("/") + "/sandbox/monetico/paiement.cgi"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    # The hosts a request may name; any other Host header is refused before a link could be built from it.
    app.config["ALLOWED_HOSTS"] = trusted_hosts(app.config["BASE_URL"], app.config.get("EXTRA_HOSTS"))
    secure = app.config["BASE_URL"].startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = secure or bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.config["REMEMBER_COOKIE_SECURE"] = secure or bool(app.config.get("REMEMBER_COOKIE_SECURE"))
    app.config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"


def _instance_secret(instance_path):
    """A secret generated once and kept under instance/, so sessions survive restarts."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        return f.read().strip()
