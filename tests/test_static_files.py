"""A portal one can keep on the phone: static files named by their content's hash and cached for a year, a
web-app manifest with its icons (« Ajouter à l'écran d'accueil »)."""

import hashlib
import re

from marina_portal.views import assets


def test_pages_name_static_files_by_their_content_and_those_are_cached_for_a_year(app, client):
    page = client.get("/").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert {"/static/css/app.", "/static/js/portal.", "/static/vendor/pico.min.", "/static/vendor/htmx.min."} <= {
        re.sub(r"[0-9a-f]{12}\.\w+$", "", link) for link in links
    }
    with app.open_resource("static/css/app.css", "rb") as f:
        expected = hashlib.sha256(f.read()).hexdigest()[:12]
    assert f"/static/css/app.{expected}.css" in links
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", link


def test_a_former_version_or_the_plain_name(client):
    assert client.get("/static/css/app.000000000000.css").status_code == 404
    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200 and "immutable" not in (plain.headers.get("Cache-Control") or "")


def test_a_changed_file_gets_a_new_name(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    (tmp_path / "x.css").write_text("a{}")
    with app.app_context():
        first = assets.hashed_name("x.css")
        (tmp_path / "x.css").write_text("a{color:red}")
        assert assets.hashed_name("x.css") != first
        assert assets.hashed_name("missing.css") == "missing.css"


def test_the_web_app_manifest_and_its_icons(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "PORT SAINTE MARIE LA MER" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(image.data[16:20], "big"), int.from_bytes(image.data[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]
