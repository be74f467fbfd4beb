"""Which dispatch chains this worker process runs, and their heartbeat.

A chain holds a slot (a Redis key holding the chain's token). While one of its jobs
runs, the worker's heartbeat thread (delivery.watchdog) renews the key every second
with a short time to live, whatever the job's own thread is doing (a request, a
throttle wait): a worker that is killed, or paused, frees its slots within
HEARTBEAT_TTL seconds, and the other workers start chains in them
(docs/architecture/delivery.md, "Dispatch"). A paused worker that wakes finds its
slot taken by another chain and ends its chain after the current pass."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from campaign.core.queues import redis_connection

HEARTBEAT_TTL = 3  # seconds
SLOT_KEY = "campaign:dispatch:slot:{}"

# Renew the slot only if this chain still holds it.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""

_lock = threading.Lock()
_running: dict[int, Chain] = {}


@dataclass(eq=False)
class Chain:
    slot: int
    token: str
    owned: bool = True

    @property
    def key(self) -> str:
        return SLOT_KEY.format(self.slot)

    def release(self) -> None:
        """The chain ends: free its slot (if it still holds it)."""
        self.stop()
        if self.owned:
            redis_connection().eval(_RELEASE, 1, self.key, self.token)
            self.owned = False

    def hand_on(self) -> None:
        """The chain's next job is about to be queued: stop the heartbeat here."""
        self.stop()

    def stop(self) -> None:
        with _lock:
            if _running.get(self.slot) is self:
                del _running[self.slot]


def running(slot: int, token: str) -> Chain:
    """Register a chain this process runs now; its slot gets the short time to live."""
    chain = Chain(slot, token)
    with _lock:
        _running[slot] = chain
    renew([chain])
    return chain


def renew(chains: list[Chain] | None = None) -> None:
    """Renew the slots of ``chains`` (default: every chain this process runs); a
    chain whose slot another chain took meanwhile is marked as no longer owned."""
    if chains is None:
        with _lock:
            chains = list(_running.values())
    if not chains:
        return
    redis = redis_connection()
    for chain in chains:
        if not redis.eval(_RENEW, 1, chain.key, chain.token, HEARTBEAT_TTL):
            chain.owned = False
            chain.stop()
