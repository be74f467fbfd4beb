"""One process at a time across all machines, through a lock in Redis."""

from __future__ import annotations

from contextlib import contextmanager, suppress

from redis.exceptions import LockError

from campaign.core.queues import redis_connection


@contextmanager
def exclusive(name: str, ttl_seconds: int = 300):
    """Run the body in one process at a time across all machines; yields whether
    this process holds the lock (the body should do nothing when it does not)."""
    lock = redis_connection().lock(f"campaign:lock:{name}", timeout=ttl_seconds, blocking=False)
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            # The lock may have expired meanwhile: then there is nothing to release.
            with suppress(LockError):
                lock.release()
