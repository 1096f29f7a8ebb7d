"""Response headers (CSP without inline script, framing and sniffing off, no caching of personal pages); proxies."""

from urllib.parse import urlsplit

from flask import current_app, request, session
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted

from marina_portal.views.errors import render_error


def _origin(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy():
    # The payment form posts to the bank's own page, so its origin is allowed as a form target.
    bank = _origin(current_app.config.get("MONETICO_URL"))
    form_action = " ".join(filter(None, ["'self'", bank]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; "
        "base-uri 'self'; object-src 'none'"
    )


def _has_nul(values):
    return any("\x00" in v for v in values)


def trust_proxies(app):
    """Behind TRUSTED_PROXIES reverse proxies, take the visitor's address and scheme from their headers.

    Rate limits count per visitor address and signing evidence records it: without this, every visitor
    would appear as the proxy's 127.0.0.1. Left at 0 (the default) the headers are ignored, so a visitor
    talking to the app directly cannot choose their own address.
    """
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def body_limit(setting):
    """Mark a view whose request body may not exceed the named setting; bigger answers 413 before anything
    reads it (the app-wide MAX_CONTENT_LENGTH is sized for uploads)."""

    def mark(view):
        view.body_limit_setting = setting
        return view

    return mark


def init_app(app):
    trust_proxies(app)

    @app.before_request
    def _cap_body():
        setting = getattr(app.view_functions.get(request.endpoint), "body_limit_setting", None)
        if setting:
            request.max_content_length = app.config[setting]

    @app.before_request
    def _refuse_unknown_hosts():
        # A Host header naming another site would end up in a page's links, so it is refused; the health
        # check answers whatever name a load balancer uses.
        if request.path != "/healthz" and not host_is_trusted(request.host.lower(), app.config["ALLOWED_HOSTS"]):
            return render_error(400)

    @app.before_request
    def _refuse_nul_bytes():
        # No field ever needs a NUL byte, and PostgreSQL refuses to store one: answer 400, not 500.
        if _has_nul(request.args.values()) or (request.form and _has_nul(request.form.values())):
            return render_error(400)

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", content_security_policy())
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["BASE_URL"].startswith("https://"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # A logged-in session (read without loading the user: no query for this header).
        if not request.path.startswith("/static/") and session.get("_user_id"):
            h["Cache-Control"] = "no-store"
        response.vary.add("HX-Request")
        return response
