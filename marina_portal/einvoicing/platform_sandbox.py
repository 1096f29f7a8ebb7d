"""The approved platform played offline, for development only (EINVOICING_PLATFORM_SANDBOX, on with MARINA_DEV=1
unless the environment names the real exchange folder): it collects what the portal left in the file-drop folder's
out/ as the platform's connector would, and answers each PDF in ack/ in the platform's format (file_drop.py).

Its rules: a PDF carrying a readable Factur-X invoice whose buyer has a SIREN (the platforms route by the
directory of SIRENs) is « recue »; anything else is « rejetee » with the reason a platform would give.
"""

import json
import os

from stdnum.fr import siren

from marina_portal.einvoicing.channel import archive, write_atomically
from marina_portal.einvoicing.chorus_pro import answer_time
from marina_portal.einvoicing.file_drop import folder_of
from marina_portal.einvoicing.receiving import read_facturx
from marina_portal.models import EinvoiceStatus


def verdict(data):
    """(status, reason) the platform gives a deposited file."""
    if not data.startswith(b"%PDF"):
        return EinvoiceStatus.REJECTED, "Fichier refusé : ce n'est pas un PDF."
    read = read_facturx(data)
    if isinstance(read, str):
        return EinvoiceStatus.REJECTED, f"Facture électronique invalide : {read}"
    if not read["number"] or read["total_cents"] is None:
        return EinvoiceStatus.REJECTED, "Facture électronique invalide : numéro (BT-1) ou total TTC (BT-112) absent."
    if not any(siren.is_valid(i) for i in read["buyer_ids"]):
        return EinvoiceStatus.REJECTED, "Destinataire introuvable dans l'annuaire : SIREN de l'acheteur (BT-47) absent."
    return EinvoiceStatus.RECEIVED, ""


def collect(root):
    """Take every file waiting in out/ (moved to out/done/) and answer each PDF; returns the PDF names answered."""
    out, ack = folder_of(root, "out"), folder_of(root, "ack")
    answered = []
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        if name.endswith(".pdf"):
            with open(path, "rb") as f:
                status, reason = verdict(f.read())
            body = {"fichier": name, "statut": status, "motif": reason, "date": answer_time()}
            answer = os.path.join(ack, f"{name[: -len('.pdf')]}.{status}.json")
            write_atomically(answer, json.dumps(body, ensure_ascii=False).encode())
            answered.append(name)
        archive(path, "done")  # an « encaissee » notice is taken too: the platform has read it
    return answered
