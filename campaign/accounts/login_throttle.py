"""A growing delay after wrong passwords, per client address and account together.

Three wrong passwords from one address for one account are free; after that each
next try from that address for that account waits 2, 4, 8 … seconds (at most
LOGIN_DELAY_MAX_SECONDS) after the last wrong one. A right password clears it.
Nothing is ever locked: the owner, from any other address, logs in at once, and
from the same address a mailed login link goes round the delay. Redis holds only
a keyed hash of the pair (limits.keyed_hash), and forgets it after a day.
"""

from __future__ import annotations

import contextlib
import math
import time

from flask import current_app

from campaign.core import limits
from campaign.core.queues import redis_connection

FREE_FAILURES = 3
_KEY = "campaign-login-delay:{}"
_FORGET_AFTER = 86400


def _now() -> float:
    return time.time()


def _key(address: str | None, email: str) -> str:
    pair = f"{limits.normalised_ip(address)}|{email.strip().lower()}"
    return _KEY.format(limits.keyed_hash("login-pair", pair))


def _delay(failures: int) -> float:
    if failures < FREE_FAILURES:
        return 0.0
    ceiling = current_app.config.get("LOGIN_DELAY_MAX_SECONDS", 900)
    return float(min(2 ** (failures - FREE_FAILURES + 1), ceiling))


def wait_seconds(address: str | None, email: str) -> int:
    """Seconds before this address may try this account's password again (0: now)."""
    try:
        state = redis_connection().hgetall(_key(address, email))
    except Exception:  # Redis down: the per-address limits (if any) still hold
        return 0
    if not state:
        return 0
    failures = int(state.get(b"failures", 0))
    last = float(state.get(b"last", 0))
    return max(0, math.ceil(last + _delay(failures) - _now()))


def failed(address: str | None, email: str) -> None:
    key = _key(address, email)
    try:
        pipe = redis_connection().pipeline()
        pipe.hincrby(key, "failures", 1)
        pipe.hset(key, "last", repr(_now()))
        pipe.expire(key, _FORGET_AFTER)
        pipe.execute()
    except Exception:
        current_app.logger.warning("login delay not recorded: Redis unavailable")


def succeeded(address: str | None, email: str) -> None:
    with contextlib.suppress(Exception):
        redis_connection().delete(_key(address, email))
