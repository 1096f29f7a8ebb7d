"""The harbour office's own accounts, managed by the administrator: invite, change role, switch off."""

from peewee import JOIN, IntegrityError

from marina_portal.accounts import logins
from marina_portal.core import audit
from marina_portal.core.db import database
from marina_portal.core.refusals import Refusal
from marina_portal.models import AuditLog, User

ROLES = {"agent": "Agent", "admin": "Administrateur"}


class Refused(Refusal):
    """A change to a staff account that can't be made, with the words to show."""


def members():
    return list(User.select().where(User.role.in_(list(ROLES))).order_by(User.email))


def invite(admin, email, role, ip=""):
    """A staff account without a password; the mailed link lets its owner choose one."""
    email = logins.normalise_email(email)
    if role not in ROLES:
        raise Refused("Choisissez le rôle : agent ou administrateur.")
    try:
        with database.atomic():
            user = User.create(email=email, role=role)
            audit.record(admin, "staff.create", user, None, {"email": email, "role": role}, ip)
    except IntegrityError:
        raise Refused(f"Un compte existe déjà pour {email}.") from None
    logins.request_password_link(email)
    return user


def update(admin, member, role, enabled, ip=""):
    if member.id == admin.id and (role != member.role or not enabled):
        raise Refused("Vous ne pouvez pas retirer vos propres droits : demandez-le à un autre administrateur.")
    if role not in ROLES:
        raise Refused("Choisissez le rôle : agent ou administrateur.")
    before = {"role": member.role, "is_enabled": member.is_enabled}
    after = {"role": role, "is_enabled": enabled}
    if before == after:
        return False
    with database.atomic():
        member.role, member.is_enabled = role, enabled
        member.session_version += 1  # ends the sessions opened with the old rights
        member.save()
        audit.record(admin, "staff.update", member, before, after, ip)
    return True


def journal(page=1, per_page=50):
    query = AuditLog.select(AuditLog, User).join(User, join_type=JOIN.LEFT_OUTER, on=(AuditLog.user == User.id))
    total = AuditLog.select().count()
    rows = list(query.order_by(AuditLog.id.desc()).paginate(max(1, page), per_page))
    return rows, max(1, -(-total // per_page))
