"""Signed, expiring, single-use, opaque links: one salt per purpose, an explicit max age, a used-token table.

A link carries a random key, signed and dated with itsdangerous; what it is for (a customer, an email) is
kept in MailedLink under the key's digest, never in the link, where anyone could base64-decode it.
"""

import hashlib
import json
import secrets
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import IntegrityError

from marina_portal.core.db import database
from marina_portal.models import MailedLink, UsedToken


class TokenError(Exception):
    """Why a link can't be followed; `reason` is expired, invalid or used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"marina-portal/{purpose}")


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def make(purpose: str, payload: dict[str, Any]) -> str:
    """A link token for `payload` (a dict kept on the server side)."""
    key = secrets.token_urlsafe(16)
    MailedLink.create(key_digest=_digest(key), purpose=purpose, payload=json.dumps(payload))
    return _serializer(purpose).dumps(key)


def read(purpose: str, token: str, max_age: int | None = None) -> Any:
    """The payload of a valid, unexpired, unused token, or TokenError."""
    max_age = max_age or current_app.config["TOKEN_MAX_AGE"]
    try:
        key = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("expired") from None
    except BadSignature:
        raise TokenError("invalid") from None
    link = MailedLink.get_or_none(MailedLink.key_digest == _digest(str(key))) if isinstance(key, str) else None
    if link is None or link.purpose != purpose:
        raise TokenError("invalid")
    if UsedToken.select().where(UsedToken.digest == _digest(token)).exists():
        raise TokenError("used")
    return json.loads(link.payload)


def consume(token: str) -> None:
    """Mark a token used; call inside the transaction that acts on it. A second use fails."""
    try:
        with database.atomic():
            UsedToken.create(digest=_digest(token))
    except IntegrityError:
        raise TokenError("used") from None
