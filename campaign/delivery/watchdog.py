"""A worker's two background threads: the heartbeat of the dispatch chains it runs
(delivery.chains) and the watchdog that restarts sending when it stopped.

Every second the watchdog looks for free dispatch slots while letters are due and
starts chains in them; every few seconds it hands back letters whose lease expired
(delivery.reconcile). So after a worker is killed, a deploy restarts every worker,
or Redis loses its jobs and slots, the dispatch chains run again within seconds,
without waiting for the clock's reconciler.

When PostgreSQL or Redis stays unreachable for WORKER_CONNECT_RETRY_SECONDS, the
watchdog ends the process with one line saying which (``on_give_up``), so that a
process supervisor notices and restarts it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from campaign.core.extensions import db
from campaign.delivery import chains

log = logging.getLogger(__name__)

WATCH_EVERY = 1.0  # seconds
LEASES_EVERY = 5.0


class Unreachable(Exception):
    """PostgreSQL or Redis cannot be reached (the message names which, nothing more)."""


def which_service(exc: BaseException) -> str | None:
    """ "PostgreSQL" or "Redis" for an error that means the service is unreachable."""
    if isinstance(exc, RedisError):
        return "Redis"
    if isinstance(exc, DBAPIError):
        return "PostgreSQL" if db.engine.dialect.name == "postgresql" else "the database"
    return None


def start(app: Flask, on_give_up: Callable[[str], None]) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=_heartbeat, args=(app, on_give_up), name="heartbeat", daemon=True),
        threading.Thread(target=_watch, args=(app, on_give_up), name="watchdog", daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


class _Failing:
    """Since when a service has been failing; gives up after the configured time."""

    def __init__(self, app: Flask, on_give_up: Callable[[str], None]):
        self.limit = app.config["WORKER_CONNECT_RETRY_SECONDS"]
        self.on_give_up = on_give_up
        self.since: dict[str, float] = {}

    def ok(self, *services: str) -> None:
        for service in services:
            self.since.pop(service, None)

    def failed(self, exc: BaseException) -> None:
        service = which_service(exc)
        if service is None:
            log.exception("watchdog: unexpected error")
            return
        log.warning("watchdog: %s unreachable (%s)", service, type(exc).__name__)
        first = self.since.setdefault(service, time.monotonic())
        if time.monotonic() - first >= self.limit:
            self.on_give_up(f"{service} unreachable for {self.limit:g} s ({type(exc).__name__})")


def _heartbeat(app: Flask, on_give_up) -> None:
    failing = _Failing(app, on_give_up)
    with app.app_context():
        while True:
            try:
                chains.renew()
                failing.ok("Redis")
            except Exception as exc:  # noqa: BLE001 - keep beating
                failing.failed(exc)
            time.sleep(WATCH_EVERY)


def _watch(app: Flask, on_give_up) -> None:
    from campaign.core.locks import exclusive
    from campaign.delivery import dispatch, reconcile

    failing = _Failing(app, on_give_up)
    last_leases = 0.0
    while True:
        with app.app_context():
            try:
                if time.monotonic() - last_leases >= LEASES_EVERY:
                    last_leases = time.monotonic()
                    with exclusive("expired-leases", ttl_seconds=30) as mine:
                        if mine:
                            reconcile.return_expired_leases()
                _restart_chains(dispatch)
                failing.ok("PostgreSQL", "the database", "Redis")
            except Exception as exc:  # noqa: BLE001 - keep watching
                db.session.rollback()
                failing.failed(exc)
            finally:
                db.session.remove()
        time.sleep(WATCH_EVERY)


def _restart_chains(dispatch) -> None:
    """Start chains in free slots when letters are due."""
    from flask import current_app

    config = current_app.config
    slots = config["DISPATCH_CONCURRENCY"]
    free = dispatch.free_slots()
    if not free:
        return
    due = dispatch.due_letters(limit=slots * config["DISPATCH_BATCH_SIZE"])
    if due:
        dispatch.kick(due)
