"""Tokens for links in emails: they name one record and carry nothing readable.

A token is AES-256-GCM over the record's id and the time it was issued, with the
link's purpose as associated data, under a key derived from SECRET_KEY; a random
96-bit nonce makes every token different. Nobody without the key can read the id
(so nobody learns how many submissions exist), forge one, or use a token made for
one purpose (confirming) for another (a data page). 40 bytes, 54 URL-safe characters.

Tokens issued before this format (itsdangerous signatures, whose id is readable
base64 before the first dot) are still read, and expire as they always did.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import time
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

CONFIRM = "confirm-submission"
STATUS = "submission-status"
SUPPORTER_DATA = "supporter-data"

_NONCE = 12
_PLAIN = struct.Struct(">QI")  # the id, the issue time in whole seconds
_TOKEN_BYTES = _NONCE + _PLAIN.size + 16
TOKEN_LENGTH = len(base64.urlsafe_b64encode(b"\0" * _TOKEN_BYTES).rstrip(b"="))


class InvalidToken(ValueError):
    """The link is damaged or forged."""


class ExpiredToken(InvalidToken):
    """The link was genuine but is too old."""


def _aead() -> AESGCM:
    secret = current_app.config["SECRET_KEY"].encode()
    return AESGCM(hmac.new(secret, b"campaign link tokens", hashlib.sha256).digest())


def make_token(purpose: str, ident: int) -> str:
    nonce = os.urandom(_NONCE)
    sealed = _aead().encrypt(nonce, _PLAIN.pack(ident, int(time.time())), purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def _open(purpose: str, token: str) -> tuple[int, float]:
    if len(token) != TOKEN_LENGTH or not token.isascii():
        raise InvalidToken("this link is not valid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = _aead().decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode())
    except (binascii.Error, ValueError, InvalidTag):
        raise InvalidToken("this link is not valid") from None
    return _PLAIN.unpack(plain)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def _open_legacy(purpose: str, token: str) -> tuple[int, float]:
    """A token in the format before this one (signed, id readable)."""
    try:
        value, issued = _serializer(purpose).loads(token, return_timestamp=True)
    except BadSignature:
        raise InvalidToken("this link is not valid") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidToken("this link is not valid")
    return value, issued.timestamp()


def read_token_issued(
    purpose: str, token: str, max_age_seconds: int | None = None
) -> tuple[int, datetime]:
    """The id a genuine token names and when it was issued; raises ExpiredToken
    past ``max_age_seconds``, InvalidToken for anything not made by make_token."""
    token = token or ""
    ident, issued = _open_legacy(purpose, token) if "." in token else _open(purpose, token)
    if max_age_seconds is not None and time.time() - issued > max_age_seconds:
        raise ExpiredToken("this link has expired")
    return ident, datetime.fromtimestamp(issued, UTC)


def read_token(purpose: str, token: str, max_age_seconds: int | None = None) -> int:
    return read_token_issued(purpose, token, max_age_seconds)[0]
