"""Chorus Pro offline: collects what the portal deposited and answers as Chorus Pro would, for development
and tests (EINVOICING_CHORUS_SANDBOX). Its rules: the recipient's SIRET must be valid (Luhn) and its service code
given, else REJETEE with the reason; otherwise MISE_A_DISPOSITION. `pay` then reports MISE_EN_PAIEMENT."""

import json
import os

from stdnum.fr import siret as siret_number

from marina_portal.einvoicing.channel import archive, write_atomically
from marina_portal.einvoicing.chorus_pro import FLUX_SYNTAX, answer_time
from marina_portal.einvoicing.file_drop import folder_of


def _report(root, file_name, status, reason=""):
    body = {"fichier": file_name, "statut": status, "motif": reason, "date": answer_time()}
    stem = file_name[: -len(".pdf")]
    write_atomically(os.path.join(folder_of(root, "cr"), f"{stem}.{status.lower()}.json"), json.dumps(body).encode())


def collect(root):
    """Take every complete deposit (PDF and envelope) and report on it; returns the file names answered."""
    out = folder_of(root, "out")
    answered = []
    for name in sorted(os.listdir(out)):
        if name.startswith(".") or not name.endswith(".json"):
            continue
        path = os.path.join(out, name)
        with open(path, "rb") as f:
            env = json.loads(f.read())
        pdf = os.path.join(out, env["fichier"])
        recipient = env.get("destinataire", {})
        if env.get("syntaxeFlux") != FLUX_SYNTAX or not os.path.exists(pdf):
            reason = "Flux incomplet ou de syntaxe inconnue"
        elif not siret_number.is_valid(recipient.get("siret", "")):
            reason = "SIRET du destinataire inconnu dans Chorus Pro"
        elif not recipient.get("codeService"):
            reason = "Code service obligatoire pour ce destinataire"
        else:
            reason = ""
        _report(root, env["fichier"], "REJETEE" if reason else "MISE_A_DISPOSITION", reason)
        archive(path, "done")
        if os.path.exists(pdf):
            archive(pdf, "done")
        answered.append(env["fichier"])
    return answered


def pay(root, file_name):
    """The buyer's accountant pays the invoice: Chorus Pro reports MISE_EN_PAIEMENT."""
    _report(root, file_name if file_name.endswith(".pdf") else file_name + ".pdf", "MISE_EN_PAIEMENT")
