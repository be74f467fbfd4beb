"""A dispatch chain takes its next batch while the last requests of the previous one
are still in flight (so that the throttle's schedule never runs dry for a round trip
at the end of each batch), and still: never more requests in flight per process than
SENDGRID_CONCURRENCY, every outcome written before the job ends, and a 429 met by
one batch holds the letters of the next. Against the loopback SendGrid server, with
its answers held back until the test lets them go, so that nothing depends on timing."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import threading
from collections import Counter

from campaign.core.extensions import db
from campaign.delivery import dispatch
from campaign.delivery.dispatch_send import HELD_REASON
from campaign.devtools.backlog import make_backlog
from campaign.devtools.sendgrid_server import Faults, SendGridLoopback
from campaign.models import Letter, LetterEvent

from .delivery_support import API_KEY, copies_by_letter, sendgrid_settings, wait_until


class GatedSendGrid(SendGridLoopback):
    """The loopback server, answering no request until the gate is opened."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gate = threading.Event()
        self.arrived = 0

    def _answer_mail_send(self, handler, body):
        with self._lock:
            self.arrived += 1
        self.gate.wait(60)
        super()._answer_mail_send(handler, body)


def chain_in_thread(app) -> tuple[threading.Thread, dict]:
    """One job of dispatch chain 0, in a thread of its own (as in a worker)."""
    result: dict = {}

    def run():
        with app.app_context():
            result.update(dispatch.run_chain(0))

    thread = threading.Thread(target=run, name="chain")
    thread.start()
    return thread, result


def in_state(state: str) -> int:
    count = db.session.execute(
        db.select(db.func.count()).select_from(Letter).where(Letter.state == state)
    ).scalar_one()
    db.session.rollback()
    return count


def test_the_next_batch_goes_while_the_last_answers_are_awaited(make_app):
    server = GatedSendGrid(api_key=API_KEY).start()
    thread = None
    try:
        app = make_app(
            **sendgrid_settings(
                server,
                SENDGRID_CONCURRENCY=4,
                SENDGRID_TIMEOUT=30,
                DISPATCH_BATCH_SIZE=2,
                DISPATCH_CONCURRENCY=1,
                DISPATCH_JOB_SECONDS=120,
            )
        )
        with app.app_context():
            backlog = make_backlog(6, 6)
            thread, result = chain_in_thread(app)
            # No answer has come, yet the second batch's requests are out too: four
            # at once, the in-flight limit (the third batch waits for a thread).
            wait_until(lambda: server.arrived == 4, timeout=20, what="two batches in flight")
            server.gate.set()
            thread.join(60)
            assert not thread.is_alive()
            # The job ended only once every outcome of its batches was written.
            assert in_state("sent") == 6 and result["sent"] == 6 and result["taken"] == 6
            assert server.stats["max_open"] == 4  # never more than the limit
            assert copies_by_letter(server) == Counter(dict.fromkeys(backlog.letter_ids, 1))
    finally:
        server.gate.set()
        if thread is not None:
            thread.join(60)
        server.stop()


def test_a_429_to_one_batch_holds_the_letters_of_the_next(make_app):
    # X-RateLimit-Reset 2 s ahead: short enough that the throttle's slot alone would
    # let the next batch's letters go after it; they go back to the queue instead.
    server = GatedSendGrid(api_key=API_KEY, faults=Faults(retry_after=2)).start()
    server.script(["429", "429"])
    thread = None
    try:
        app = make_app(
            **sendgrid_settings(
                server,
                THROTTLE_ENABLED=True,
                SENDGRID_CONCURRENCY=2,
                SENDGRID_TIMEOUT=30,
                DISPATCH_BATCH_SIZE=2,
                DISPATCH_CONCURRENCY=1,
                DISPATCH_JOB_SECONDS=120,
            )
        )
        with app.app_context():
            backlog = make_backlog(4, 4, throttle_per_second=100)
            thread, _result = chain_in_thread(app)
            # The first batch's two requests are out (both threads busy); the second
            # batch is taken and waits for a free thread.
            wait_until(
                lambda: server.arrived == 2 and in_state("sending") == 4,
                timeout=20,
                what="second batch taken",
            )
            server.gate.set()
            thread.join(60)
            assert not thread.is_alive()
            assert server.stats["requests"] == 2 and server.messages == []
            first, second = backlog.letter_ids[:2], backlog.letter_ids[2:]
            for letter_id in backlog.letter_ids:
                found = db.session.get(Letter, letter_id)
                assert found.state == "queued" and found.attempts == 0
            causes = {
                letter_id: db.session.execute(
                    db.select(LetterEvent.cause)
                    .where(LetterEvent.letter_id == letter_id)
                    .order_by(LetterEvent.id.desc())
                    .limit(1)
                ).scalar_one()
                for letter_id in backlog.letter_ids
            }
            assert all("SendGrid 429" in causes[i] for i in first), causes
            assert all(causes[i] == f"handed back unsent: {HELD_REASON}" for i in second), causes
    finally:
        server.gate.set()
        if thread is not None:
            thread.join(60)
        server.stop()
