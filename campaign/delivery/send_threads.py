"""The sending threads of a worker process, and what they share across batches
(delivery.dispatch_send sends each letter on them).

A dispatch pass hands its batch over and goes on to take the next one while the
last requests of this one are still in flight, so what the threads share belongs to
the process, not to a batch (``Sender``):

* the threads themselves, kept with their connections from batch to batch;
* a permit per request in flight: never more than the backend's in-flight limit
  (SENDGRID_CONCURRENCY for SendGrid, one for SMTP), whichever batches they are of;
* the departure lock (``Departure``): one request of the process leaves at a time;
* a 429's hold: it reaches every batch under way, whose letters not yet sent go back.

A batch under way is a ``Sending``; its ``wait`` returns once every outcome of the
batch is written.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from campaign.core.mail import get_backend
from campaign.delivery.outcome_writer import Batch
from campaign.delivery.throttle import Request

log = logging.getLogger(__name__)


def in_flight_limit(backend=None) -> int:
    """How many requests one worker process keeps in flight through ``backend``:
    its own ``concurrency`` (SendGrid: SENDGRID_CONCURRENCY), else one."""
    backend = backend if backend is not None else get_backend()
    return max(1, int(getattr(backend, "concurrency", 1)))


class Sender:
    """What the sending threads of one process share (see the module docstring)."""

    def __init__(self, backend, in_flight: int):
        self.backend, self.in_flight = backend, in_flight
        # One thread: the dispatching thread sends itself, one letter after another.
        self.pool = None
        if in_flight > 1:
            self.pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="send")
        self.free = threading.Semaphore(in_flight)
        self.departure = threading.Lock()
        # Whether the backend says when a request has been written out, decided once.
        self.on_written = getattr(backend, "on_request_written", None)
        self._lock = threading.Lock()
        self._under_way: set[Sending] = set()

    def add(self, sending: Sending) -> None:
        with self._lock:
            self._under_way.add(sending)

    def discard(self, sending: Sending) -> None:
        with self._lock:
            self._under_way.discard(sending)

    def hold(self, seconds: float) -> None:
        """A 429 (the global schedule is held this long): the letters not yet sent of
        every batch under way go back to the queue."""
        with self._lock:
            for sending in self._under_way:
                sending.held = max(sending.held or 0.0, seconds)


def sender_for(backend) -> Sender:
    """The process's sender for ``backend`` (kept with the app)."""
    ext = current_app.extensions
    in_flight = in_flight_limit(backend)
    kept = ext.get("sending_threads")
    if kept is None or kept.backend is not backend or kept.in_flight != in_flight:
        kept = Sender(backend, in_flight)
        ext["sending_threads"] = kept
    return kept


class Sending:
    """One batch handed to the sending threads. ``wait`` returns, once every outcome
    of the batch is written, how many of each kind were written and, when the global
    schedule was held (a 429) while the batch was under way, for how long."""

    def __init__(self, sender: Sender, throttle, writer):
        self.sender, self.throttle, self.writer = sender, throttle, writer
        self.batch = Batch()
        self.held: float | None = None  # set by Sender.hold
        self._handed_back: list[Request] = []
        self._cond = threading.Condition()
        self._on_threads = 0  # letters on a sending thread now
        self._closed = False  # every letter of the batch was handed over
        sender.add(self)

    def hold(self, seconds: float) -> None:
        self.sender.hold(seconds)

    def hand_back(self, request: Request) -> None:
        """A letter taken that was not sent: its throttle places are given back."""
        with self._cond:
            self._handed_back.append(request)

    def count(self, on_threads: int = 0, closed: bool = False) -> None:
        """Letters put on (1) or leaving (-1) a sending thread; ``closed``: the whole
        batch has been handed over."""
        with self._cond:
            self._on_threads += on_threads
            self._closed = self._closed or closed
            done = self._done()
            if done:
                self._cond.notify_all()
        if done:
            self.sender.discard(self)

    def _done(self) -> bool:
        return self._closed and self._on_threads == 0

    @property
    def finished(self) -> bool:
        """Every letter of the batch has left or gone back, and every outcome is
        written (``wait`` returns at once)."""
        with self._cond:
            if not self._done():
                return False
        return self.batch.settled

    def wait(self) -> tuple[Counter, float | None]:
        with self._cond:
            self._cond.wait_for(self._done)
            handed_back, self._handed_back = self._handed_back, []
        if self.throttle is not None and handed_back:
            try:
                self.throttle.refund(handed_back)
            except Exception:  # noqa: BLE001 - a place not given back only slows sending
                log.warning("could not give back %d throttle places", len(handed_back))
        return self.batch.wait(), self.held


class Departure:
    """One departure at a time per process: a thread holds it from its slot until its
    request has been written out (not until the answer), so that threads that woke
    late together (a busy machine) take their slots one after another, each slot
    1/rate after the previous, instead of leaving in a burst. Every batch of the
    process shares it: the next batch's letters go while this one's are in flight."""

    def __init__(self, sender: Sender):
        self.lock, self.on_written, self.held = sender.departure, sender.on_written, False

    def __enter__(self) -> Departure:
        self.lock.acquire()
        self.held = True
        return self

    def release(self) -> None:
        if self.held:
            self.held = False
            self.lock.release()

    def until_written(self) -> None:
        """Release once the next request of this thread has been written out (at once
        for a backend that cannot say when)."""
        if self.on_written is None:
            self.release()
        else:
            self.on_written(self.release)

    def __exit__(self, *exc) -> None:
        if self.on_written is not None:
            self.on_written(None)
        self.release()
