"""PDF rendering from HTML templates (xhtml2pdf), with a fetcher that only reads the app's own files."""
import io
import os

from flask import current_app, render_template
from xhtml2pdf import pisa


class PdfError(Exception):
    pass


def _local_only(uri, rel):
    """Resolve /static/... to a file inside the app; refuse anything else (no network from templates)."""
    static = os.path.realpath(current_app.static_folder)
    if uri.startswith("/static/"):
        path = os.path.realpath(os.path.join(static, uri[len("/static/"):]))
        if path.startswith(static + os.sep) and os.path.isfile(path):
            return path
    return ""


def render_pdf(template, **context):
    html = render_template(template, **context)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_local_only)
    if result.err:
        raise PdfError(f"PDF rendering failed for {template}")
    return out.getvalue()
