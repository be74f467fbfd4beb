"""Signed, URL-safe tokens for links in emails. They carry an id and nothing else."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM = "confirm-submission"
STATUS = "submission-status"
SUPPORTER_DATA = "supporter-data"


class InvalidToken(ValueError):
    """The link is damaged or forged."""


class ExpiredToken(InvalidToken):
    """The link was genuine but is too old."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, ident: int) -> str:
    return _serializer(purpose).dumps(ident)


def read_token(purpose: str, token: str, max_age_seconds: int | None = None) -> int:
    try:
        value = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise ExpiredToken("this link has expired") from None
    except BadSignature:
        raise InvalidToken("this link is not valid") from None
    if not isinstance(value, int):
        raise InvalidToken("this link is not valid")
    return value
