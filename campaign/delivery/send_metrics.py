"""The two windows in which a letter can still go twice, as measured by the workers
themselves (docs/architecture/delivery.md, "Nothing sent twice"), kept in Redis for the
fault benchmark and the staff queue page:

* accept_to_commit: from SendGrid's 202 to the commit of the letter's `sent`;
* check_to_socket: from the last lease check to the request leaving the socket.

Each worker process writes its largest value so far (milliseconds) into a hash
field named after the process; readers take the largest over all fields."""

from __future__ import annotations

import logging
import os
import threading

from campaign.core.queues import redis_connection

log = logging.getLogger(__name__)

ACCEPT_TO_COMMIT = "accept_to_commit"
CHECK_TO_SOCKET = "check_to_socket"
KEY = "campaign:delivery:window_ms:{}"

_largest: dict[str, float] = {}
_lock = threading.Lock()


def note_max(name: str, seconds: float) -> None:
    """Remember ``seconds`` if it is the largest of this process so far."""
    with _lock:
        if seconds <= _largest.get(name, -1.0):
            return
        _largest[name] = seconds
    try:
        redis_connection().hset(KEY.format(name), str(os.getpid()), f"{seconds * 1000:.3f}")
    except Exception:  # noqa: BLE001 - a measurement must never stop sending
        log.debug("could not store the %s window", name, exc_info=True)


def largest(name: str) -> float | None:
    """The largest value any worker wrote (milliseconds), None if none did."""
    values = redis_connection().hvals(KEY.format(name))
    return max((float(v) for v in values), default=None)
