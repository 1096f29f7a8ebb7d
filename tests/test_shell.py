"""The page shell: the tutorial's address, headers, friendly errors, a page readable on a phone."""

from conftest import csrf_token


def test_port_code_address_leads_home(client):
    response = client.get("/STEMARIE66")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert client.get("/stemarie66").status_code == 302
    assert client.get("/AUTREPORT").status_code == 404


def test_security_headers_on_every_page(client):
    for url in ("/", "/register", "/register/contract", "/password/forgot", "/nowhere"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_personal_pages_are_not_cached(client, auth):
    auth.boater()
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_friendly_404(client):
    response = client.get("/documents/999999/download")
    assert response.status_code in (302, 404)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_session_cookie_flags(make_app):
    app = make_app(BASE_URL="https://portail.example.com")
    client = app.test_client()
    page = client.get("/")
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "x@example.com", "password": "nope"},
    )
    cookie = response.headers.get("Set-Cookie", "") or page.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age=31536000" in page.headers["Strict-Transport-Security"]


def test_login_page_on_a_phone(live_server, page):
    page.goto(live_server.url + "/STEMARIE66")
    assert page.get_by_label("Login").is_visible()
    assert page.get_by_label("Mot de passe").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth") if page.js_enabled else 375
    assert width <= 375
    assert "PORT SAINTE MARIE LA MER" in page.content()


def test_ids_beyond_64_bits_are_no_such_page(client, auth):
    auth.boater()
    huge = "9" * 25
    for url in (f"/documents/{huge}/download", f"/account/invoices/{huge}/pdf", f"/contract/{huge}/pdf"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/documents/{2**63 - 1}/download").status_code == 404
