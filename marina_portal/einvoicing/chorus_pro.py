"""The Chorus Pro channel, for public-sector buyers (docs/einvoicing.md).

Chorus Pro takes a Factur-X PDF with an envelope naming the recipient: its SIRET, its service code and the
engagement number (purchase order) it gave. The exchange is a folder (EINVOICING_CHORUS_DIR), as with the
file-drop channel, that the port's Chorus Pro connector (EDI/SFTP account) empties:

    out/<name>.pdf        the Factur-X invoice or credit note
    out/<name>.json       its envelope, written last: {"syntaxeFlux": "IN_DP_E1_FACTURX", "fichier": ..., ...}
    cr/<anything>.json    Chorus Pro's reports (comptes rendus): {"fichier": "<name>.pdf", "statut": "<CPP status>",
                          "motif": ..., "date": ...}; read once, then moved to done/

sandbox.py plays Chorus Pro offline (EINVOICING_CHORUS_SANDBOX), as payments/sandbox.py plays the bank.
"""

import datetime as dt
import json
import os

from marina_portal.einvoicing.channel import Ack, Channel, ChannelError, Problem, archive, register, write_atomically
from marina_portal.einvoicing.file_drop import folder_of, parse_time
from marina_portal.models import EinvoiceStatus

FLUX_SYNTAX = "IN_DP_E1_FACTURX"  # Chorus Pro's name for a Factur-X PDF deposit
# Chorus Pro's invoice statuses, and the lifecycle status each one means here.
CPP_STATUSES = {
    "DEPOSEE": EinvoiceStatus.DEPOSITED,
    "EN_COURS_ACHEMINEMENT": EinvoiceStatus.DEPOSITED,
    "MISE_A_DISPOSITION": EinvoiceStatus.RECEIVED,
    "SUSPENDUE": EinvoiceStatus.REJECTED,
    "REJETEE": EinvoiceStatus.REJECTED,
    "MANDATEE": EinvoiceStatus.RECEIVED,
    "MISE_EN_PAIEMENT": EinvoiceStatus.COLLECTED,
    "COMPLETEE": EinvoiceStatus.COLLECTED,
}


def envelope(outgoing):
    buyer = outgoing.buyer
    return {
        "syntaxeFlux": FLUX_SYNTAX,
        "fichier": outgoing.file_name + ".pdf",
        "typeFacture": "AVOIR" if outgoing.kind == "credit_note" else "FACTURE",
        "numeroFacture": outgoing.number,
        "dateFacture": outgoing.issued_on.isoformat(),
        "montantTTC": f"{outgoing.total_cents / 100:.2f}",
        "fournisseur": {"siret": outgoing.seller_siret},
        "destinataire": {
            "nom": buyer.get("name", ""),
            "siret": buyer.get("siret", ""),
            "codeService": buyer.get("service_code", ""),
        },
        "numeroEngagement": buyer.get("engagement", ""),
    }


def read_report(path):
    source = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            body = json.loads(f.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return Problem(source, "compte rendu illisible (JSON UTF-8 attendu)")
    if not isinstance(body, dict) or not str(body.get("fichier", "")).endswith(".pdf"):
        return Problem(source, "champ « fichier » absent ou sans .pdf")
    status = CPP_STATUSES.get(body.get("statut"))
    if status is None:
        return Problem(source, f"statut Chorus Pro inconnu {body.get('statut')!r}")
    reason = str(body.get("motif") or "")
    if status == EinvoiceStatus.REJECTED and not reason:
        reason = f"Statut Chorus Pro {body['statut']} sans motif"
    return Ack(body["fichier"][: -len(".pdf")], status, reason[:2000], parse_time(body.get("date")), source)


@register
class ChorusPro(Channel):
    name = "chorus-pro"
    label = "Chorus Pro (acheteurs publics)"

    def deposit(self, outgoing):
        if not outgoing.buyer.get("siret"):
            raise ChannelError(f"{outgoing.number} : le client n'a pas de SIRET Chorus Pro.")
        folder = folder_of(self.folder, "out")
        pdf, env = (os.path.join(folder, outgoing.file_name + ext) for ext in (".pdf", ".json"))
        if os.path.exists(env):
            raise ChannelError(f"Le fichier {outgoing.file_name}.pdf attend déjà d'être collecté.")
        write_atomically(pdf, outgoing.pdf)
        write_atomically(env, json.dumps(envelope(outgoing), ensure_ascii=False, indent=1).encode())

    def report_collected(self, file_name, on, amount_cents):
        # Chorus Pro's buyer pays and says so (MISE_EN_PAIEMENT): the seller has nothing to send.
        return None

    def acknowledgements(self):
        folder = folder_of(self.folder, "cr")
        acks, problems = [], []
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.startswith(".") or not name.endswith(".json") or not os.path.isfile(path):
                continue
            read = read_report(path)
            (problems if isinstance(read, Problem) else acks).append(read)
            archive(path, "errors" if isinstance(read, Problem) else "done")
        return acks, problems


def answer_time():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
