"""Signed, URL-safe tokens for links in emails. They carry an id and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

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


def read_token_issued(
    purpose: str, token: str, max_age_seconds: int | None = None
) -> tuple[int, datetime]:
    """The id a genuine token names and when it was issued; raises ExpiredToken
    past ``max_age_seconds``, InvalidToken for anything not made by make_token."""
    try:
        value, issued = _serializer(purpose).loads(
            token, max_age=max_age_seconds, return_timestamp=True
        )
    except SignatureExpired:
        raise ExpiredToken("this link has expired") from None
    except BadSignature:
        raise InvalidToken("this link is not valid") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidToken("this link is not valid")
    return value, issued.astimezone(UTC)


def read_token(purpose: str, token: str, max_age_seconds: int | None = None) -> int:
    return read_token_issued(purpose, token, max_age_seconds)[0]
