"""Reply addresses: each letter asks for replies at ``reply+TOKEN@INBOUND_DOMAIN``.

TOKEN is 24 lower-case base32 characters: the letter id in 5 bytes followed by
an 80-bit HMAC of it under a key derived from SECRET_KEY. It names the letter
and nothing else, cannot be guessed or altered, survives mail systems that
change its case, and keeps the local part at 30 characters (the limit is 64).
Changing SECRET_KEY invalidates the addresses of letters already sent; their
replies are then matched by In-Reply-To/References or land in the staff inbox.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable

from flask import current_app

LOCAL_PREFIX = "reply+"
_ID_BYTES = 5
_MAC_BYTES = 10
TOKEN_LENGTH = (_ID_BYTES + _MAC_BYTES) * 8 // 5
_ADDRESS_RE = re.compile(rf"^reply\+([a-z2-7]{{{TOKEN_LENGTH}}})@", re.IGNORECASE)


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"campaign reply address", hashlib.sha256).digest()


def _mac(ident: bytes) -> bytes:
    return hmac.new(_key(), ident, hashlib.sha256).digest()[:_MAC_BYTES]


def make_token(letter_id: int) -> str:
    """The token for ``letter_id`` (1 ≤ id < 2**40)."""
    if not 0 < letter_id < 2 ** (8 * _ID_BYTES):
        raise ValueError("letter id out of range for a reply token")
    ident = letter_id.to_bytes(_ID_BYTES, "big")
    return base64.b32encode(ident + _mac(ident)).decode("ascii").lower()


def read_token(token: str) -> int | None:
    """The letter id a genuine token names, or None for anything else."""
    token = (token or "").strip().upper()
    if len(token) != TOKEN_LENGTH:
        return None
    try:
        raw = base64.b32decode(token)
    except (binascii.Error, ValueError):
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
