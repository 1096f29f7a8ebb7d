"""What the office sets for visitors: the gate and sanitary code their receipt gives."""

import re

from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.refusals import Refusal
from marina_portal.models import VisitorDesk, utcnow

_CODE = re.compile(r"^[A-Za-z0-9 #*-]{0,20}$")


class DeskRefused(Refusal):
    """A setting the office typed that can't be kept, with the words to show."""


def of_port(port):
    desk = VisitorDesk.get_or_none(VisitorDesk.port == port)
    return desk or VisitorDesk(port=port, gate_code="")


def set_gate_code(user, port, code, ip=""):
    code = (code or "").strip()
    if not _CODE.match(code):
        raise DeskRefused("Le code d'accès tient en 20 caractères : lettres, chiffres, espace, #, * ou -.")
    desk = of_port(port)
    before = {"gate_code": "****" if desk.gate_code else ""}
    with database.atomic():
        desk.gate_code, desk.updated_at = code, utcnow()
        desk.save()
        audit.record(user, "visitors.gate_code", port, before, {"gate_code": "****" if code else ""}, ip)
    return desk
