"""Sending the letters a pass took: the second half of a dispatch pass
(delivery.dispatch), with up to SENDGRID_CONCURRENCY requests in flight at once.

At a distant API's latency a worker that sends one request at a time is limited by
the round trip (150 ms: under 7 letters per second), not by the throttle or the
provider. So each worker process keeps a small pool of sending threads (as many as
the backend can use: SENDGRID_CONCURRENCY for SendGrid, whose client gives every
thread its own kept-open connection; one for SMTP, whose session carries one message
at a time). Every guarantee stays per request:

* the letters go into the pool in fair order, and a letter is looked at (its
  campaign paused or cancelled, its lease) only once a thread is free for it;
* each thread waits until its letter's planned time, then takes the letter's own
  slot in the global schedule immediately before the request, and sleeps until it;
  the threads of a process take their slots one at a time, each after the previous
  request has left, so that a busy machine never turns their slots into a burst;
* then, by the wall clock, the lease stored with the letter must outlast the
  request's whole timeout (the fence: a worker paused past its lease sends nothing);
* the request is sent, noted in the send journal, and its outcome handed to the
  writer thread, which has it in the database milliseconds later
  (delivery.outcome_writer), whatever the other requests in flight do.

A batch is handed over, not waited for: ``start_sending`` returns once every letter
of the batch has a sending thread (or was handed back), so that the dispatcher takes
its next batch while the last requests of this one are still in flight. (Waiting for
them left the throttle idle for a round trip at the end of every batch: 150 ms a
second at 150 ms latency.) So what the threads share belongs to the process, not to
a batch (delivery.send_threads): the free threads, the departure lock, and a 429's
hold, which reaches every batch under way. ``Sending.wait`` returns once every
outcome of its batch is written; a dispatch chain's job waits for all of its batches
before it ends.

Database work stays on the dispatching thread (leases of the letters still to send
are renewed, paused campaigns looked up, as the batch goes): the sending threads use
only Redis, the mail backend and the writer.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from campaign.core.extensions import db
from campaign.core.mail import PermanentMailError, TransientMailError, get_backend
from campaign.delivery import delivery, outcomes, send_metrics
from campaign.delivery.dispatch_claim import Taken
from campaign.delivery.outcome_writer import get_writer
from campaign.delivery.send_threads import Departure, Sending, sender_for
from campaign.delivery.throttle import get_throttle
from campaign.models import Campaign, Letter
from campaign.models.base import utcnow

log = logging.getLogger(__name__)

# Time a request may take beyond its timeout, and the clocks of two machines may
# differ by, before the lease would be at risk.
LEASE_MARGIN_SECONDS = 5.0
# How often a pass looks again at whether its campaigns were paused or cancelled.
STATUS_CHECK_SECONDS = 1.0
HELD_REASON = "sending is held after a 429 from SendGrid"


def send_taken(taken: list[Taken]) -> tuple[Counter, float | None]:
    """Send the letters taken and wait for every outcome (see ``Sending.wait``)."""
    return start_sending(new_batch(), taken).wait()


def new_batch() -> Sending:
    """A batch of this process, under way from now on: a 429 met by any batch of
    the process holds it, even before its letters are taken."""
    backend = get_backend()
    throttle = get_throttle() if current_app.config["THROTTLE_ENABLED"] else None
    return Sending(sender_for(backend), throttle, get_writer())


def start_sending(sending: Sending, taken: list[Taken]) -> Sending:
    """Hand the letters taken to the sending threads in fair order, each as a thread
    comes free (up to the backend's in-flight limit at once), each to be sent at its
    global slot with its outcome handed to the writer thread as soon as it is known.
    Returns ``sending`` once every letter has a thread or was handed back; the last
    requests may still be in flight."""
    try:
        _hand_over(sending, taken)
    except BaseException:
        # Whatever stopped it (the database lost): the letters already on a thread
        # still go, and their outcomes are written before the error goes up.
        sending.count(closed=True)
        sending.wait()
        raise
    sending.count(closed=True)
    return sending


def _hand_over(sending: Sending, taken: list[Taken]) -> None:
    messages, campaign_of = {}, {}
    for letter in db.session.execute(
        select(Letter)
        .options(joinedload(Letter.representative), joinedload(Letter.supporter))
        .where(Letter.id.in_([t.letter_id for t in taken]))
    ).scalars():
        messages[letter.id] = delivery.letter_message(letter)
        campaign_of[letter.id] = letter.campaign_id
    # No transaction stays open while sending (and SQLite would keep an old snapshot).
    db.session.rollback()
    sender, throttle = sending.sender, sending.throttle
    backend = sender.backend
    app = current_app._get_current_object()
    stopped: dict[int, str] = {}  # campaign id -> "paused" | "cancelled"
    last_check = time.monotonic()
    for index, item in enumerate(taken):
        # Wait for a free thread first, so that what is checked below is fresh when
        # the letter's thread starts.
        sender.free.acquire()
        try:
            if time.monotonic() - last_check > STATUS_CHECK_SECONDS:
                stopped = _stopped_campaigns(set(campaign_of.values()))
                _renew_leases(taken[index:])
                last_check = time.monotonic()
            status = stopped.get(campaign_of[item.letter_id])
            reason = _why_not(item, status, sending)
            if reason is not None:
                _not_sent(item, reason, status, sending)
                sender.free.release()
                continue
            sending.count(on_threads=1)
        except BaseException:
            sender.free.release()
            raise
        args = (app, backend, throttle, item, messages[item.letter_id], sending)
        if sender.pool is None:
            _go(*args)
            continue
        try:
            sender.pool.submit(_go, *args)
        except BaseException:
            sending.count(on_threads=-1)
            sender.free.release()
            raise


def _why_not(item: Taken, status: str | None, sending: Sending) -> str | None:
    """Why a letter is not handed to a thread after all, if it is not."""
    if item.lease_until is None:
        return "lost"  # handed back or taken again meanwhile: no longer ours
    if status is not None:
        return "the campaign was paused"
    if sending.held is not None:
        return HELD_REASON
    if not _inside_lease(item):
        return "the lease ran short"
    return None


def _go(app: Flask, backend, throttle, item: Taken, message, sending: Sending):
    """One letter on its sending thread: its planned time, its slot, the fence, the
    request, the outcome to the writer."""
    try:
        with app.app_context():
            _send_one(backend, throttle, item, message, sending)
    except Exception:  # noqa: BLE001 - the letter goes back to the queue, not lost
        log.exception("letter %s: unexpected error before its request", item.letter_id)
        outcome = outcomes.Outcome(item.letter_id, item.attempt, "released", "internal error")
        sending.writer.submit(outcome, sending.batch)
        sending.hand_back(item.request)
    finally:
        sending.sender.free.release()
        sending.count(on_threads=-1)


def _send_one(backend, throttle, item: Taken, message, sending: Sending):
    if throttle is None:
        _request(backend, None, item, message, sending)
        return
    # Until the planned time (the other workers' batches go first), then, one
    # thread of this process at a time, the slot itself, right before the request.
    early = item.planned - time.monotonic()
    if early > 0:
        time.sleep(early)
    with Departure(sending.sender) as departure:
        reason = None
        if sending.held is not None:
            reason = HELD_REASON
        else:
            go, wait = throttle.slot(item.request)
            if not go:
                sending.hold(wait)
                reason = HELD_REASON
            elif wait > 0:
                time.sleep(wait)
        if reason is not None:
            _not_sent(item, reason, None, sending)
            return
        departure.until_written()
        _request(backend, throttle, item, message, sending)


def _request(backend, throttle, item: Taken, message, sending: Sending):
    """The fence, then the request; its outcome goes to the writer."""
    if not _inside_lease(item):
        # The fence: checked again after every wait, by the wall clock (the
        # process may have been paused, a virtual machine suspended).
        log.warning("letter %s: lease ran out before its request; not sent", item.letter_id)
        _not_sent(item, "the lease ran out before the request", None, sending)
        return
    fenced_at = time.monotonic()
    outcome = _attempt(backend, item.letter_id, message, item.attempt, throttle)
    _note_check_to_socket(backend, fenced_at)
    if outcome.kind == "retry" and outcome.counts is False and throttle is not None:
        sending.hold(outcome.delay)
    sending.writer.submit(outcome, sending.batch)


def _not_sent(item: Taken, reason: str, status, sending: Sending) -> None:
    """A letter handed back unsent (or cancelled with its campaign)."""
    sending.hand_back(item.request)
    if reason == "lost":
        return
    writer, batch = sending.writer, sending.batch
    if status == "cancelled":
        writer.submit(outcomes.Outcome(item.letter_id, item.attempt, "cancelled"), batch)
        return
    delay = sending.held or 0.0
    writer.submit(
        outcomes.Outcome(item.letter_id, item.attempt, "released", reason, delay=delay), batch
    )


def _inside_lease(item: Taken) -> bool:
    """Whether a request started now ends, whatever happens, inside the letter's
    lease: its whole timeout plus a margin (for clock differences between machines)
    before the lease stored with the letter, by the wall clock."""
    config = current_app.config
    allowance = timedelta(seconds=config["SENDGRID_TIMEOUT"] + LEASE_MARGIN_SECONDS)
    lease_until = item.lease_until
    return lease_until is not None and utcnow() + allowance <= lease_until


def _renew_leases(remaining: list[Taken]) -> None:
    """Extend the leases of the letters still to send once half a lease has passed,
    so that a whole batch can go; a letter no longer ours is dropped from it."""
    held = [t for t in remaining if t.lease_until is not None]
    if not held:
        return
    config = current_app.config
    now = utcnow()
    # Renewed while at least half of the lease's usable part (what the fence allows)
    # is left, so that the fence never stops a letter a renewal would have let go.
    allowance = config["SENDGRID_TIMEOUT"] + LEASE_MARGIN_SECONDS
    usable = config["SENDING_LEASE_SECONDS"] - allowance
    if min(t.lease_until for t in held) - now > timedelta(seconds=allowance + usable / 2):
        return
    still = delivery.renew_leases({t.letter_id: t.attempt for t in held}, now)
    lease_until = delivery.lease_end(now)
    for t in held:
        t.lease_until = lease_until if t.letter_id in still else None


def _note_check_to_socket(backend, fenced_at: float) -> None:
    """Measure the window between the lease check and the request leaving."""
    left_at = getattr(backend, "request_left_at", lambda: None)()
    if left_at is not None and left_at >= fenced_at:
        send_metrics.note_max(send_metrics.CHECK_TO_SOCKET, left_at - fenced_at)


def _attempt(backend, letter_id: int, message, attempt: int, throttle) -> outcomes.Outcome:
    try:
        message_id = backend.send(message)
    except TransientMailError as exc:
        rate_limited = exc.retry_after is not None
        if rate_limited and throttle is not None:
            throttle.hold(exc.retry_after)
        delay = delivery.retry_delay(attempt, exc.retry_after)
        return outcomes.Outcome(
            letter_id, attempt, "retry", str(exc), delay=delay, counts=not rate_limited
        )
    except PermanentMailError as exc:
        return outcomes.Outcome(letter_id, attempt, "failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad letter must not strand the batch
        log.exception("letter %s: unexpected error while sending", letter_id)
        delay = delivery.retry_delay(attempt, None)
        reason = f"internal error: {exc!r}"[:300]
        return outcomes.Outcome(letter_id, attempt, "retry", reason, delay=delay)
    delivery.journal_sent(letter_id, attempt, message_id or "")
    if not message_id:
        log.warning(
            "letter %s: accepted by the mail provider without a message id (no X-Message-Id)",
            letter_id,
        )
    return outcomes.Outcome(letter_id, attempt, "sent", message_id=message_id or "")


def _stopped_campaigns(campaign_ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Campaign.id, Campaign.sending_status).where(
            Campaign.id.in_(campaign_ids), Campaign.sending_status != "active"
        )
    ).all()
    db.session.rollback()
    return dict(rows)
