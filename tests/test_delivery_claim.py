"""A worker stopped between locking due letters and committing its claim (SIGSTOP, a
stalled machine) does not keep them from the other workers: PostgreSQL ends its
session after CLAIM_IDLE_SECONDS, the letters are due again, and the stopped
worker, when it goes on, takes nothing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import DBAPIError

from campaign.core.extensions import db
from campaign.delivery.dispatch_claim import claim
from campaign.delivery.throttle import Throttle
from campaign.devtools.backlog import make_backlog
from campaign.models import Letter

from .delivery_support import wait_until


class StoppedThrottle(Throttle):
    """The throttle of a worker that stops inside its claim (after the rows are
    locked, before the commit) until ``go`` is set."""

    def __init__(self, redis, stopped: threading.Event, go: threading.Event):
        super().__init__(redis)
        self.stopped, self.go = stopped, go

    def reserve(self, requests):
        self.stopped.set()
        self.go.wait(30)
        return super().reserve(requests)


def test_letters_locked_by_a_stopped_claim_are_taken_by_another_worker(make_app):
    app = make_app(THROTTLE_ENABLED=True, CLAIM_IDLE_SECONDS=1)
    stopped_app = make_app(THROTTLE_ENABLED=True, CLAIM_IDLE_SECONDS=1)  # the other worker
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has no row locks to hold (one writer at a time)")
    with app.app_context():
        backlog = make_backlog(2, 2, domains=2)
    stopped, go = threading.Event(), threading.Event()
    outcome: dict = {}

    def stopped_worker():
        with stopped_app.app_context():
            from campaign.core.queues import redis_connection

            stopped_app.extensions["throttle"] = StoppedThrottle(redis_connection(), stopped, go)
            try:
                outcome["taken"] = claim(2)[0]
            except DBAPIError as exc:
                outcome["error"] = type(exc.orig).__name__
            finally:
                db.session.remove()

    thread = threading.Thread(target=stopped_worker)
    thread.start()
    try:
        assert stopped.wait(30)
        with app.app_context():
            # The stopped claim holds both letters; after CLAIM_IDLE_SECONDS the server
            # ends its session and another worker's claim takes them.
            taken = wait_until(lambda: claim(2)[0], 10, interval=0.2, what="letters taken")
            assert sorted(t.letter_id for t in taken) == sorted(backlog.letter_ids)
    finally:
        go.set()
        thread.join(30)
    # The stopped worker, going on, finds its session ended and takes nothing.
    assert "taken" not in outcome
    assert outcome["error"] == "IdleInTransactionSessionTimeout"
    with app.app_context():
        letters = db.session.execute(db.select(Letter)).scalars().all()
        assert {(letter.state, letter.attempts) for letter in letters} == {("sending", 1)}
