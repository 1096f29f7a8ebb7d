"""PDF rendering from HTML templates (WeasyPrint), with a fetcher that only reads the app's own static files.

WeasyPrint (with Pango, fontTools, pydyf) is imported when a PDF is first made, so a worker that only serves
pages never loads it. Text is set in DejaVu (Debian's fonts-dejavu-core), embedded as a subset in every PDF,
so that any name a boater has (« DVOŘÁK Łukasz ») prints and extracts as typed. Title, author and creation
date come from the template's <title> and <meta> elements; page numbers from CSS counters in @page boxes.
Same HTML, same bytes: nothing random or dated by the clock goes into a PDF that the HTML does not name.

`render_pdf_cached` keeps each rendered PDF under DATA_DIR/pdf-cache, keyed by a digest of the HTML it was
made from (and of the files that HTML refers to, the renderer's version and what `finish` adds): any change
that shows on the PDF changes the HTML, hence the key, so a stale PDF is never served.
"""

import functools
import glob
import hashlib
import logging
import mimetypes
import os
import re
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from flask import current_app, render_template

from marina_portal.core import storage

CACHE_AREA = "pdf-cache"
CACHE_FORMAT = "3"  # bump when the HTML-to-PDF step changes in a way the HTML does not show
BASE_URL = "https://portal.invalid/"  # templates name /static/...; nothing is ever fetched from this host
PDF_A_3B = "pdf/a-3b"
SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"  # Debian's, for WeasyPrint
_STATIC_REFERENCE = re.compile(r"/static/[^\"')\s>]+")
log = logging.getLogger(__name__)


class PdfError(Exception):
    pass


def static_file(uri: str, static_folder: str | None = None) -> str | None:
    """The file inside the app's static folder that `uri` (/static/... or BASE_URL + static/...) names, or None."""
    if uri.startswith(BASE_URL):
        uri = "/" + uri[len(BASE_URL) :]
    uri = uri.split("?", 1)[0].split("#", 1)[0]
    if not uri.startswith("/static/"):
        return None
    static = os.path.realpath(static_folder or current_app.static_folder)
    path = os.path.realpath(os.path.join(static, uri[len("/static/") :]))
    return path if path.startswith(static + os.sep) and os.path.isfile(path) else None


@functools.cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        """Serve the app's own static files; refuse the network, file: and data: URLs and any other path."""

        def __init__(self, static_folder):
            super().__init__(allowed_protocols=(), allow_redirects=False)
            self.static_folder = static_folder

        def fetch(self, url, headers=None):
            path = static_file(url, self.static_folder) if url.startswith(BASE_URL) else None
            if path is None:
                raise ValueError(f"a PDF may only use the portal's static files, not {url[:80]}")
            with open(path, "rb") as f:
                body = f.read()
            return URLFetcherResponse(url, body, {"Content-Type": mimetypes.guess_type(path)[0] or "text/plain"})

    return StaticOnly


def html_to_pdf(html: str, name: str = "PDF", variant: str | None = None) -> bytes:
    """The PDF of `html`; `variant` "pdf/a-3b" for an archivable file (invoices)."""
    try:
        import weasyprint
    except OSError as e:  # the Python package is there, the system's Pango is not
        raise PdfError(f"WeasyPrint cannot load Pango ({e}): apt-get install {SYSTEM_PACKAGES}") from e

    try:
        document = weasyprint.HTML(
            string=html, base_url=BASE_URL, url_fetcher=_fetcher_class()(current_app.static_folder)
        ).render(presentational_hints=True)  # templates may size columns with width="40%"
        return document.write_pdf(pdf_variant=variant)
    except Exception as e:
        raise PdfError(f"PDF rendering failed for {name}: {e}") from e


def render_pdf(template: str, variant: str | None = None, **context: Any) -> bytes:
    return html_to_pdf(render_template(template, **context), template, variant=variant)


@functools.cache
def _renderer():

    return f"{CACHE_FORMAT}|{version('weasyprint')}|{version('pydyf')}|"


def cache_key(html: str, extra: str = "") -> str:
    """A digest of everything the PDF's bytes depend on: the HTML, the files it names, the renderer."""
    digest = hashlib.sha256(_renderer().encode())
    digest.update(html.encode("utf-8"))
    digest.update(f"|{extra}|".encode())
    for uri in sorted(set(_STATIC_REFERENCE.findall(html))):
        path = static_file(uri)
        stamp = os.stat(path) if path else None
        digest.update(f"|{uri}|{stamp.st_mtime_ns if stamp else 0}|{stamp.st_size if stamp else -1}".encode())
    return digest.hexdigest()


def render_pdf_cached(
    name: str,
    template: str,
    variant: str | None = None,
    finish: tuple[str, Callable[[bytes], bytes]] | None = None,
    **context: Any,
) -> bytes:
    """The PDF of `template`, rendered once per distinct HTML; `name` (like "invoice-12") groups the
    versions of one document so that a new version replaces the older files.

    `finish`, when given, is a pair (key, function): the function completes the rendered PDF (attaches
    a file, say) and the key is a digest of what it adds, so that a change there makes a new version too.
    """

    html = render_template(template, **context)
    extra, complete = finish or ("", None)
    folder = os.path.join(storage.data_dir(), CACHE_AREA)
    path = os.path.join(folder, f"{name}-{cache_key(html, f'{variant}|{extra}')}.pdf")
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        pass
    pdf = html_to_pdf(html, template, variant=variant)
    if complete is not None:
        pdf = complete(pdf)
    try:
        _keep(folder, path, name, pdf)
    except OSError:  # a full or read-only disk costs the next download a render, not this one its PDF
        log.exception("PDF %s not kept in %s", name, folder)
    return pdf


def _keep(folder, path, name, pdf):
    os.makedirs(folder, exist_ok=True)
    storage.keep_reserve(folder, len(pdf))
    storage.write_whole(path, pdf)  # whole or absent, even with another worker rendering the same PDF
    version_of_this = re.compile(re.escape(name) + r"-[0-9a-f]{64}\.pdf")
    for older in glob.glob(os.path.join(glob.escape(folder), glob.escape(name) + "-*.pdf")):
        if older != path and version_of_this.fullmatch(os.path.basename(older)):
            try:
                os.remove(older)
            except FileNotFoundError:
                pass
