"""The dispatcher: workers take due letters from the database in fair order, ask the
throttle, send, and record — a batch at a time.

Dispatch runs as chains of short RQ jobs on the letters queue. A chain holds one of
DISPATCH_CONCURRENCY slots (a Redis key); each job of the chain runs passes for up to
DISPATCH_JOB_SECONDS, then enqueues the next job of the chain, so that confirmation
mails (a queue the workers look at first) never wait long behind letters. A chain
ends when nothing is due; it then schedules a wake-up job (RQ's scheduler) for the
moment the next deferred letter may go. Committing new queued letters starts chains
in free slots (``kick``). While a chain's job runs, its worker's heartbeat keeps the
slot (delivery.chains); every worker's watchdog starts chains in free slots when
letters are due (delivery.watchdog), so a killed worker's chains, or chains Redis
forgot, run again within seconds: the letters themselves are in the database.

One pass (``dispatch_pass``) takes a batch and sends it:

1. delivery.dispatch_claim selects up to DISPATCH_BATCH_SIZE due letters in fair
   order, defers those outside their sending window or refused by the throttle, and
   takes the rest (compare-and-set, with a lease);
2. delivery.dispatch_send sends them, up to SENDGRID_CONCURRENCY requests in flight
   per worker process, each with its own throttle slot immediately before it leaves
   and its own lease check (the fence), each outcome written within milliseconds.

A chain does not wait for a batch's last answers before it takes the next batch
(``start_pass``): it goes on as soon as every letter of the batch is on a sending
thread, so that the throttle's schedule never runs dry for a round trip at the end
of each batch. The job waits for every outcome of its batches before it ends.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from campaign.core.extensions import db
from campaign.core.queues import LETTERS, get_queue, job, redis_connection
from campaign.delivery import chains
from campaign.delivery.dispatch_claim import PassResult, claim, due_filter
from campaign.delivery.dispatch_send import new_batch, start_sending
from campaign.delivery.send_threads import Sending
from campaign.delivery.throttle import MAX_SLOT_WAIT, get_throttle
from campaign.models import Campaign, Letter, LetterState
from campaign.models.base import utcnow

log = logging.getLogger(__name__)

S = LetterState
SLOT_KEY = chains.SLOT_KEY
__all__ = ["PassResult", "dispatch_pass", "get_throttle", "kick", "run_chain"]


# -- chains ---------------------------------------------------------------------------


def _queued_slot_ttl() -> int:
    """How long a slot lives while its chain's next job waits in the queue (behind
    jobs of about this length): the job is in Redis, no process has to be alive."""
    config = current_app.config
    return int(config["DISPATCH_JOB_SECONDS"] + config["SENDGRID_TIMEOUT"] + MAX_SLOT_WAIT) + 5


def kick(letters: int = 1) -> int:
    """Make sure enough dispatch chains run for ``letters`` due letters (one chain per
    batch, at most DISPATCH_CONCURRENCY), starting chains in free slots. A chain that
    finds full batches starts more itself. Uses only Redis (safe after a commit).
    Returns how many chains were started."""
    config = current_app.config
    slots = config["DISPATCH_CONCURRENCY"]
    wanted = min(slots, max(1, -(-letters // config["DISPATCH_BATCH_SIZE"])))
    redis = redis_connection()
    keys = [SLOT_KEY.format(slot) for slot in range(slots)]
    held = redis.mget(keys)
    need = wanted - sum(1 for value in held if value is not None)
    started = 0
    for slot, value in enumerate(held):
        if started >= need:
            break
        token = secrets.token_hex(8)
        if value is None and redis.set(keys[slot], token, nx=True, ex=_queued_slot_ttl()):
            _enqueue_link(slot, token)
            started += 1
    return started


def free_slots() -> int:
    """How many dispatch slots no chain holds."""
    slots = current_app.config["DISPATCH_CONCURRENCY"]
    held = redis_connection().mget([SLOT_KEY.format(slot) for slot in range(slots)])
    return sum(1 for value in held if value is None)


def _enqueue_link(slot: int, token: str) -> None:

    config = current_app.config
    redis_connection().set(SLOT_KEY.format(slot), token, ex=_queued_slot_ttl())
    get_queue(LETTERS).enqueue(
        chain_job,
        slot,
        token,
        job_timeout=int(config["DISPATCH_JOB_SECONDS"] + config["SENDING_LEASE_SECONDS"] + 30),
        ttl=24 * 3600,
        result_ttl=60,
        failure_ttl=7 * 86400,
    )


@job
def chain_job(slot: int, token: str | None = None) -> dict:
    """One job of a dispatch chain (run_chain); it enqueues the next one itself."""
    return run_chain(slot, token)


@job
def wake_job() -> int:
    """Deferred letters are due (or may be): start dispatch chains in free slots."""
    return kick()


def run_chain(slot: int, token: str | None = None) -> dict[str, int]:
    """One job of a dispatch chain (see the module docstring). Returns counts. A job
    whose slot another chain holds meanwhile (its own slot lapsed while it waited)
    ends at once: the other chain does its work."""
    config = current_app.config
    redis = redis_connection()
    key = SLOT_KEY.format(slot)
    token = token or secrets.token_hex(8)
    holder = redis.get(key)
    if holder is None:
        if not redis.set(key, token, nx=True, ex=chains.HEARTBEAT_TTL):
            return {"superseded": 1}
    elif holder.decode() != token:
        return {"superseded": 1}
    deadline = time.monotonic() + config["DISPATCH_JOB_SECONDS"]
    totals: Counter[str] = Counter()
    under_way: list[Sending] = []  # batches whose last letters may be in flight
    # From here on the worker's watchdog thread keeps the slot alive, every second,
    # whatever this thread is doing (a request, a wait): a killed or paused worker
    # frees its slot within chains.HEARTBEAT_TTL seconds.
    chain = chains.running(slot, token)
    try:
        while chain.owned:
            result, sending = start_pass(config["DISPATCH_BATCH_SIZE"])
            totals.update(result.counts)
            if sending is not None:
                under_way.append(sending)
            _collect(under_way, totals, finished_only=True)
            if result.global_wait is not None and not result.counts.get("taken"):
                # The global rate is taken for the next moments by other chains (or
                # held after a 429): short waits are slept here, longer ones end the chain.
                wait = result.global_wait
                if wait <= 1.0 and time.monotonic() + wait < deadline:
                    time.sleep(wait)
                    continue
                _collect(under_way, totals)
                chain.release()
                schedule_wake(utcnow() + timedelta(seconds=wait))
                return dict(totals)
            if result.idle:
                break
            if (
                result.counts.get("taken", 0) + result.counts.get("deferred", 0)
                >= config["DISPATCH_BATCH_SIZE"]
            ):
                # A full batch: there is a backlog, let the other slots help.
                kick(config["DISPATCH_CONCURRENCY"] * config["DISPATCH_BATCH_SIZE"])
            if time.monotonic() >= deadline:
                _collect(under_way, totals)
                chain.hand_on()
                _enqueue_link(slot, token)
                return dict(totals)
        _collect(under_way, totals)
        chain.release()
    finally:
        # Whatever ended the job (an error too): every request it started has its
        # outcome written before the job ends.
        _collect(under_way, totals)
        chain.stop()
    # A letter committed while this chain was ending found its slot taken: look again.
    if due_letters_exist():
        kick(1)
    else:
        schedule_next_wake()
    return dict(totals)


def schedule_wake(at: datetime) -> None:
    """A wake-up job at ``at`` (RQ's scheduler); wake-ups in the same second are one job."""

    when = at + timedelta(seconds=0.05)
    job_id = f"letters-wake-{int(when.timestamp())}"
    get_queue(LETTERS).enqueue_at(when, wake_job, job_id=job_id, result_ttl=0, ttl=24 * 3600)


def schedule_next_wake() -> datetime | None:
    """Schedule a wake-up for the earliest deferred letter of an active campaign."""
    at = next_due_at()
    if at is not None:
        schedule_wake(at)
    return at


def due_letters_exist() -> bool:
    return due_letters(limit=1) > 0


def due_letters(limit: int) -> int:
    """How many letters are due now (counting stops at ``limit``)."""
    due = select(Letter.id).where(*due_filter(utcnow())).limit(limit).subquery()
    count = db.session.execute(select(func.count()).select_from(due)).scalar_one()
    db.session.rollback()
    return count


def next_due_at() -> datetime | None:
    active = select(Campaign.id).where(Campaign.sending_status == "active")
    at = db.session.execute(
        select(func.min(Letter.next_attempt_at)).where(
            Letter.state == S.QUEUED.value,
            Letter.next_attempt_at > utcnow(),
            Letter.campaign_id.in_(active),
        )
    ).scalar()
    db.session.rollback()
    return at


# -- one pass -------------------------------------------------------------------------


def dispatch_pass(limit: int) -> PassResult:
    """Take, send and record up to ``limit`` due letters (see the module docstring);
    returns once every outcome is written."""
    result, sending = start_pass(limit)
    if sending is not None:
        counts, held = sending.wait()
        result.counts.update(counts)
        if held is not None:
            result.global_wait = held
    return result


def start_pass(limit: int) -> tuple[PassResult, Sending | None]:
    """Take up to ``limit`` due letters and hand them to the sending threads. Returns
    once each has a thread (its request may still be in flight): the pass's counts
    so far, and the batch under way (None when nothing was taken)."""
    # Under way before the letters are taken: a 429 that another batch of this
    # process meets meanwhile holds these letters too.
    sending = new_batch()
    try:
        taken, result = claim(limit)
    except OperationalError as exc:
        sending.count(closed=True)
        if not _write_race(exc):
            # A lost or refused database is not a race: let the job fail, loudly.
            raise
        # SQLite: another process wrote between our read and our write. Try again.
        db.session.rollback()
        log.info("dispatch pass lost a write race; retrying")
        time.sleep(0.05)
        return PassResult(counts=Counter(retried=1)), None
    except BaseException:
        sending.count(closed=True)
        raise
    if not taken:
        sending.count(closed=True)
        return result, None
    return result, start_sending(sending, taken)


def _collect(under_way: list[Sending], totals: Counter, finished_only: bool = False) -> None:
    """Wait for the batches under way to have every outcome written (with
    ``finished_only``, take only those that have, without waiting), and add up
    their counts."""
    for sending in list(under_way):
        if finished_only and not sending.finished:
            continue
        counts, _held = sending.wait()
        totals.update(counts)
        under_way.remove(sending)


def _write_race(exc: OperationalError) -> bool:
    """Whether the error is SQLite's "database is locked" (another writer)."""
    return db.engine.dialect.name == "sqlite" and "locked" in str(exc.orig).lower()
