"""Behind a reverse proxy: the visitor's address comes from X-Forwarded-For only when TRUSTED_PROXIES says so."""

from conftest import csrf_token


def failed_logins(app, forwarded_for, count):
    """`count` wrong passwords, each from a fresh browser that the proxy says is at `forwarded_for`."""
    statuses = []
    for n in range(count):  # a different Login each time: only the per-address limit can refuse
        client = app.test_client()
        token = csrf_token(client.get("/").get_data(as_text=True))
        statuses.append(
            client.post(
                "/login",
                headers={"X-Forwarded-For": forwarded_for},
                data={"csrf_token": token, "email": f"someone{n}@{forwarded_for}.example", "password": "guess"},
            ).status_code
        )
    return statuses


def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(make_app):
    app = make_app(LOGIN_LIMIT="2/minute", TRUSTED_PROXIES=1)
    assert failed_logins(app, "203.0.113.7", 3) == [200, 200, 429]
    # another boater behind the same proxy is not locked out by the first one's attempts
    assert failed_logins(app, "198.51.100.4", 2) == [200, 200]


def test_without_a_trusted_proxy_the_header_cannot_reset_the_count(make_app):
    app = make_app(LOGIN_LIMIT="2/minute")
    assert failed_logins(app, "203.0.113.7", 2) == [200, 200]
    assert failed_logins(app, "198.51.100.4", 1) == [429]  # same real address: still counted


def test_a_trusted_proxy_passes_the_https_scheme(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    seen = {}

    @app.get("/__scheme")
    def _scheme():
        from flask import request

        seen.update(scheme=request.scheme, addr=request.remote_addr)
        return ""

    app.test_client().get("/__scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"})
    assert seen == {"scheme": "https", "addr": "192.0.2.1"}
