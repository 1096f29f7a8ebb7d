"""Static files under names carrying their content's hash, cached for a year; the web-app manifest.

`url_for("static", filename="css/app.css")` gives /static/css/app.<hash>.css: a page asks the browser for a file
only when its content changed, and every other visit reads it from the cache (immutable, one year). A name
without the hash, or with an old one, still works but is not cached for long.
"""

import hashlib
import os
import re

from flask import current_app, jsonify, url_for

from marina_portal.views.shell import current_port

YEAR = 365 * 24 * 3600
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")
_digests = {}  # (path, mtime, size) -> digest


def digest(filename):
    """The first 12 hex digits of the file's SHA-256, or None when there is no such static file."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    key = (path, info.st_mtime_ns, info.st_size)
    if key not in _digests:
        with open(path, "rb") as f:
            _digests[key] = hashlib.sha256(f.read()).hexdigest()[:12]
    return _digests[key]


def hashed_name(filename):
    stem, ext = os.path.splitext(filename)
    found = digest(filename)
    return f"{stem}.{found}{ext}" if found and ext else filename


def init_app(app):
    @app.url_defaults
    def _hash_static(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = hashed_name(values["filename"])

    plain_static = app.view_functions["static"]

    def static(filename):
        found = _HASHED.match(filename)
        if found is None:
            return plain_static(filename=filename)
        real = found["stem"] + found["ext"]
        if digest(real) != found["digest"]:
            return plain_static(filename=filename)  # an old page asking for a former version: 404, not stale content
        response = app.send_static_file(real)
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response

    app.view_functions["static"] = static

    @app.route("/manifest.webmanifest")
    def web_manifest():
        """So that « Ajouter à l'écran d'accueil » puts the portal on the phone like an app."""
        port = current_port()
        name = port.name if port else "Portail du port"
        response = jsonify(
            {
                "name": name,
                "short_name": (port.code if port else "Portail")[:12],
                "lang": "fr",
                "start_url": url_for("main.home"),
                "scope": "/",
                "display": "standalone",
                "background_color": "#ffffff",
                "theme_color": "#0b4f6c",
                "icons": [
                    {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                    {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                    {
                        "src": url_for("static", filename="icons/icon-maskable-512.png"),
                        "sizes": "512x512",
                        "type": "image/png",
                        "purpose": "maskable",
                    },
                ],
            }
        )
        response.mimetype = "application/manifest+json"
        response.cache_control.max_age = 3600
        return response
