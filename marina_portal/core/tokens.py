"""Signed, expiring, single-use links: one salt per purpose, an explicit max age, a used-token table."""

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import IntegrityError

from marina_portal.core.db import database
from marina_portal.models import UsedToken


class TokenError(Exception):
    """Why a link can't be followed; `reason` is expired, invalid or used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"marina-portal/{purpose}")


def make(purpose: str, payload: Any) -> str:
    return _serializer(purpose).dumps(payload)


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def read(purpose: str, token: str, max_age: int | None = None) -> Any:
    """The payload of a valid, unexpired, unused token, or TokenError."""
    max_age = max_age or current_app.config["TOKEN_MAX_AGE"]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("expired") from None
    except BadSignature:
        raise TokenError("invalid") from None
    if UsedToken.select().where(UsedToken.digest == _digest(token)).exists():
        raise TokenError("used")
    return payload


def consume(token: str) -> None:
    """Mark a token used; call inside the transaction that acts on it. A second use fails."""
    try:
        with database.atomic():
            UsedToken.create(digest=_digest(token))
    except IntegrityError:
        raise TokenError("used") from None
