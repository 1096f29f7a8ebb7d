"""The audit trail: every staff change is recorded with who, what, when, and the values before and after."""

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from peewee import JOIN, Model

from marina_portal.core.db import database
from marina_portal.models import AuditLog, User

REDACTED = "(masqué)"


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def snapshot(row: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a row as a JSON-ready dict (foreign keys as their ids)."""
    return {name: _plain(row.__data__.get(name)) for name in fields}


def _dump(values):
    if values is None:
        return ""
    if isinstance(values, str):
        return values
    return json.dumps({k: _plain(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)


def record(
    user: User | int | None,
    action: str,
    obj: Model | tuple[str, int],
    before: dict | str | None = None,
    after: dict | str | None = None,
    ip: str = "",
) -> AuditLog:
    """Append one entry; `obj` is a model row (or a (type, id) pair); before/after are dicts or None."""
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = type(obj).__name__.lower(), obj.id
    return AuditLog.create(
        user=getattr(user, "id", user),
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_dump(before),
        after=_dump(after),
        ip=ip or "",
    )


def save_if_changed(user: User | int | None, action: str, row: Model, before: dict, after: dict, ip: str = "") -> bool:
    """Save an edited row and its audit entry in one transaction; False (nothing written) when unchanged."""
    if before == after:
        return False

    with database.atomic():
        row.save()
        record(user, action, row, before, after, ip)
    return True


def entries_for(object_type: str, object_id: int, limit: int = 50) -> list[AuditLog]:
    """The latest entries about one object, newest first, with their authors (one query)."""

    return list(
        AuditLog.select(AuditLog, User)
        .join(User, JOIN.LEFT_OUTER, on=(AuditLog.user == User.id))
        .where((AuditLog.object_type == object_type) & (AuditLog.object_id == object_id))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
