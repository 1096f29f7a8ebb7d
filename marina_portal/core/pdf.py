"""PDF rendering from HTML templates (xhtml2pdf), with a fetcher that only reads the app's own files.

xhtml2pdf and reportlab are imported when a PDF is first made, so a worker that only serves pages never
loads them. `render_pdf_cached` keeps each rendered PDF under DATA_DIR/pdf-cache, keyed by a digest of
the HTML it was made from (and of the files that HTML refers to): any change that shows on the PDF
changes the HTML, hence the key, so a stale PDF is never served.
"""

import functools
import glob
import hashlib
import io
import logging
import os
import re
from importlib.metadata import version

from flask import current_app, render_template

from marina_portal.core import storage

CACHE_AREA = "pdf-cache"
CACHE_FORMAT = "1"  # bump when the HTML-to-PDF step changes in a way the HTML does not show
_STATIC_REFERENCE = re.compile(r"/static/[^\"')\s>]+")
log = logging.getLogger(__name__)


class PdfError(Exception):
    pass


def _local_only(uri, rel):
    """Resolve /static/... to a file inside the app; refuse anything else (no network from templates)."""
    static = os.path.realpath(current_app.static_folder)
    if uri.startswith("/static/"):
        path = os.path.realpath(os.path.join(static, uri[len("/static/") :]))
        if path.startswith(static + os.sep) and os.path.isfile(path):
            return path
    return ""


def html_to_pdf(html, name="PDF"):
    from xhtml2pdf import pisa

    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_local_only)
    if result.err:
        raise PdfError(f"PDF rendering failed for {name}")
    return out.getvalue()


def render_pdf(template, **context):
    return html_to_pdf(render_template(template, **context), template)


@functools.cache
def _renderer():

    return f"{CACHE_FORMAT}|{version('xhtml2pdf')}|{version('reportlab')}|"


def cache_key(html):
    """A digest of everything the PDF's bytes depend on: the HTML, the files it names, the renderer."""
    digest = hashlib.sha256(_renderer().encode())
    digest.update(html.encode("utf-8"))
    for uri in sorted(set(_STATIC_REFERENCE.findall(html))):
        path = _local_only(uri, None)
        stamp = os.stat(path) if path else None
        digest.update(f"|{uri}|{stamp.st_mtime_ns if stamp else 0}|{stamp.st_size if stamp else -1}".encode())
    return digest.hexdigest()


def render_pdf_cached(name, template, **context):
    """The PDF of `template`, rendered once per distinct HTML; `name` (like "invoice-12") groups the
    versions of one document so that a new version replaces the older files."""

    html = render_template(template, **context)
    folder = os.path.join(storage.data_dir(), CACHE_AREA)
    path = os.path.join(folder, f"{name}-{cache_key(html)}.pdf")
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        pass
    pdf = html_to_pdf(html, template)
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
