"""The file-drop channel: a folder the port's approved platform's connector collects (docs/einvoicing.md).

    EINVOICING_DROP_DIR/out/   the portal writes <name>.pdf (Factur-X), and <name>.encaissee.json when paid
    EINVOICING_DROP_DIR/ack/   the platform writes one <anything>.json per answer; read once, then moved to done/
    EINVOICING_DROP_DIR/in/    the platform puts the suppliers' Factur-X PDFs; kept, then moved to done/

An acknowledgement is a JSON object: {"fichier": "<name>.pdf", "statut": "recue" | "rejetee" | "encaissee" |
"deposee", "motif": "<why, when rejected>", "date": "2027-01-15T10:30:00Z"}.
"""

import datetime as dt
import json
import os

from marina_portal.einvoicing.channel import (
    KNOWN_STATUSES,
    Ack,
    Arrival,
    Channel,
    ChannelError,
    Problem,
    archive,
    register,
    write_atomically,
)
from marina_portal.models import EinvoiceStatus


def parse_time(text):
    """An ISO 8601 time as naive UTC, or None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def read_ack(path):
    """An Ack from one file, or a Problem saying in French what is wrong with it."""
    source = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            body = json.loads(f.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return Problem(source, "fichier illisible (JSON UTF-8 attendu)")
    if not isinstance(body, dict):
        return Problem(source, "un objet JSON est attendu")
    name, status = body.get("fichier"), body.get("statut")
    if not isinstance(name, str) or not name.endswith(".pdf"):
        return Problem(source, "champ « fichier » absent ou sans .pdf")
    if status not in KNOWN_STATUSES:
        return Problem(source, f"statut inconnu {status!r} (attendu : {', '.join(EinvoiceStatus)})")
    reason = body.get("motif") or ""
    if status == EinvoiceStatus.REJECTED and not reason:
        return Problem(source, "un rejet doit donner son motif")
    return Ack(name[: -len(".pdf")], status, str(reason)[:2000], parse_time(body.get("date")), source)


def folder_of(root, name):
    path = os.path.join(root, name)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise ChannelError(f"Dossier d'échange inaccessible : {path} ({e.strerror}).") from None
    return path


@register
class FileDrop(Channel):
    name = "file-drop"
    label = "dépôt de fichiers (plateforme agréée)"

    def deposit(self, outgoing):
        path = os.path.join(folder_of(self.folder, "out"), outgoing.file_name + ".pdf")
        if os.path.exists(path):
            raise ChannelError(f"Le fichier {outgoing.file_name}.pdf attend déjà d'être collecté.")
        write_atomically(path, outgoing.pdf)

    def report_collected(self, file_name, on, amount_cents):
        body = {"fichier": f"{file_name}.pdf", "statut": "encaissee", "date": on.isoformat(), "montant": amount_cents}
        path = os.path.join(folder_of(self.folder, "out"), f"{file_name}.encaissee.json")
        write_atomically(path, json.dumps(body, ensure_ascii=False).encode())

    def acknowledgements(self):
        folder = folder_of(self.folder, "ack")
        acks, problems = [], []
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.startswith(".") or not name.endswith(".json") or not os.path.isfile(path):
                continue
            read = read_ack(path)
            if isinstance(read, Problem):
                problems.append(read)
                archive(path, "errors")
            else:
                acks.append(read)
                archive(path, "done")
        return acks, problems

    def arrivals(self):
        folder = folder_of(self.folder, "in")
        found = []
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.startswith(".") or not name.lower().endswith(".pdf") or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                found.append(Arrival(name, f.read(), path))
        return found
