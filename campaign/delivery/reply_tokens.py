"""Reply addresses: each letter asks for replies at ``reply+TOKEN@INBOUND_DOMAIN``.

TOKEN is 34 lower-case base32 characters: AES-SIV (deterministic authenticated
encryption, RFC 5297) of the letter id in 5 bytes, under a key derived from
SECRET_KEY, so a letter keeps one reply address. It names the letter and nothing
else, reveals nothing of the id (nor how many letters exist), cannot be forged or
altered, survives mail systems that change its case, and keeps the local part at
40 characters (the limit is 64).

Letters sent before this format carry 24 characters: the id in clear in 5 bytes
and an 80-bit HMAC of it. Their replies are still matched, as before.
Changing SECRET_KEY invalidates the addresses of letters already sent; their
replies are then matched by In-Reply-To/References or land in the staff inbox.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from flask import current_app

LOCAL_PREFIX = "reply+"
_ID_BYTES = 5
_MAC_BYTES = 10
_SIV_BYTES = 16
LEGACY_LENGTH = (_ID_BYTES + _MAC_BYTES) * 8 // 5
TOKEN_LENGTH = math.ceil((_SIV_BYTES + _ID_BYTES) * 8 / 5)
_CONTEXT = [b"reply-address"]
_ADDRESS_RE = re.compile(
    rf"^reply\+([a-z2-7]{{{TOKEN_LENGTH}}}|[a-z2-7]{{{LEGACY_LENGTH}}})@", re.IGNORECASE
)


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"campaign reply address", hashlib.sha256).digest()


def _mac(ident: bytes) -> bytes:
    return hmac.new(_key(), ident, hashlib.sha256).digest()[:_MAC_BYTES]


def _siv() -> AESSIV:
    secret = current_app.config["SECRET_KEY"].encode()
    return AESSIV(hmac.new(secret, b"campaign reply token", hashlib.sha512).digest())


def _b32decode(token: str) -> bytes | None:
    try:
        return base64.b32decode(token + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None


def make_token(letter_id: int) -> str:
    """The token for ``letter_id`` (1 ≤ id < 2**40)."""
    if not 0 < letter_id < 2 ** (8 * _ID_BYTES):
        raise ValueError("letter id out of range for a reply token")
    sealed = _siv().encrypt(letter_id.to_bytes(_ID_BYTES, "big"), _CONTEXT)
    return base64.b32encode(sealed).decode("ascii").rstrip("=").lower()


def read_token(token: str) -> int | None:
    """The letter id a genuine token names, or None for anything else."""
    token = (token or "").strip().upper()
    if len(token) == TOKEN_LENGTH:
        raw = _b32decode(token)
        if raw is None:
            return None
        try:
            ident = _siv().decrypt(raw, _CONTEXT)
        except InvalidTag:
            return None
        return int.from_bytes(ident, "big") or None
    if len(token) != LEGACY_LENGTH:
        return None
    raw = _b32decode(token)
    if raw is None:
        return None
    ident, mac = raw[:_ID_BYTES], raw[_ID_BYTES:]
    if not hmac.compare_digest(mac, _mac(ident)):
        return None
    letter_id = int.from_bytes(ident, "big")
    return letter_id or None


def reply_address(letter_id: int) -> str | None:
    """The letter's reply address, or None when INBOUND_DOMAIN is not set."""
    domain = current_app.config.get("INBOUND_DOMAIN")
    if not domain:
        return None
    return f"{LOCAL_PREFIX}{make_token(letter_id)}@{domain.lower()}"


def letter_ids_in(addresses: Iterable[str]) -> list[int]:
    """Letter ids named by genuine reply addresses among ``addresses``, in order."""
    found: list[int] = []
    for address in addresses:
        match = _ADDRESS_RE.match((address or "").strip())
        if match:
            letter_id = read_token(match.group(1))
            if letter_id is not None and letter_id not in found:
                found.append(letter_id)
    return found
