"""Publishing files in ESPACE DE TELECHARGEMENT: type checked by content, size limited, stored by internal id."""

import os
import re
import unicodedata

import filetype

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.i18n import N_
from marina_portal.core.refusals import Refusal
from marina_portal.core.storage import save_bytes
from marina_portal.models import Customer, Document, Port, User

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# content type -> (stored suffix, extensions a name may carry for it)
ALLOWED = {
    "application/pdf": (".pdf", {".pdf"}),
    "image/png": (".png", {".png"}),
    "image/jpeg": (".jpg", {".jpg", ".jpeg"}),
}


WITHDRAWN = "withdrawn"  # taken off the list by the office: no longer served, not even by its id


class Refused(Refusal):
    """An upload that is not accepted, with the words to show (in the boater's language on their pages)."""


def check(data: bytes, original_name: str | None, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The content type of an acceptable upload; Refused with the reason otherwise."""
    name = original_name or ""
    if not data:
        raise Refused(N_("Choisissez un fichier à envoyer."))
    if len(data) > max_bytes:
        raise Refused(N_("Le fichier dépasse la taille autorisée (%(size)s Mo)."), size=max_bytes // (1024 * 1024))
    if "/" in name or "\\" in name or ".." in name or "\x00" in name:
        raise Refused(N_("Le nom du fichier n'est pas accepté : il ne doit contenir ni chemin ni « .. »."))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise Refused(N_("Seuls les fichiers PDF, PNG et JPEG sont acceptés."))
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED[kind.mime][1]:
        raise Refused(N_("L'extension du fichier ne correspond pas à son contenu."))
    return kind.mime


def download_name(title: str, content_type: str) -> str:
    """A plain ASCII name made from the title, with the extension of the real content."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or "document"
    return slug + ALLOWED[content_type][0]


def publish(
    user: User,
    port: Port,
    data: bytes,
    original_name: str | None,
    title: str,
    category: str = "",
    customer: Customer | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ip: str = "",
) -> Document:
    """Store the file and list it for all boaters (customer None) or for one customer."""
    content_type = check(data, original_name, max_bytes)
    stored, digest = save_bytes("documents", data, ALLOWED[content_type][0])
    with database.atomic():
        document = Document.create(
            port=port,
            customer=customer,
            title=title,
            category=category or "",
            filename=download_name(title, content_type),
            content_type=content_type,
            size=len(data),
            sha256=digest,
            stored_as=stored,
            uploaded_by=getattr(user, "id", None),
        )
        audit.record(
            user,
            "document.publish",
            document,
            None,
            audit.snapshot(document, ("customer", "title", "category", "filename", "content_type", "size", "sha256")),
            ip,
        )
    return document


def withdraw(user: User, document: Document, ip: str = "") -> None:
    """Take a published document off the list (the row is kept for the audit, its kind changed)."""
    before = audit.snapshot(document, ("title", "kind"))
    with database.atomic():
        document.kind = WITHDRAWN
        document.save()
        audit.record(user, "document.withdraw", document, before, audit.snapshot(document, ("title", "kind")), ip)
