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

One pass:

1. select up to DISPATCH_BATCH_SIZE due letters of active campaigns in fair order
   (``fair_rank``, then id), locking them (FOR UPDATE SKIP LOCKED on PostgreSQL, so
   two workers never look at the same letters);
2. letters outside their campaign's sending window, and letters the throttle refuses
   (a cap or a domain's rate), get the time they may be tried again, with jitter so a
   backlog spreads instead of arriving in one burst;
3. the letters the throttle grants are taken (compare-and-set, with a lease) and the
   transaction commits;
4. each takes its slot in the global schedule right before its request (the worker
   sleeps until then, a fraction of a second); then, by the wall clock, the lease
   stored with the letter must outlast the request's whole timeout (the fence: a
   worker paused past its lease sends nothing); it is sent, noted in the send
   journal, and its outcome handed to the writer thread, which has it in the
   database milliseconds later (delivery.outcome_writer). Leases of the letters
   still to send are renewed as the batch goes.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from campaign.core.extensions import db
from campaign.core.mail import PermanentMailError, TransientMailError, get_backend
from campaign.core.queues import LETTERS, get_queue, job, redis_connection
from campaign.delivery import address_holds, chains, delivery, send_metrics
from campaign.delivery.outcome_writer import Batch, get_writer
from campaign.delivery.send_window import next_opening
from campaign.delivery.throttle import (
    MAX_SLOT_WAIT,
    Limits,
    Request,
    Reservation,
    Throttle,
    email_domain,
)
from campaign.models import Campaign, Letter, LetterState, Representative
from campaign.models.base import utcnow

log = logging.getLogger(__name__)

S = LetterState
SLOT_KEY = chains.SLOT_KEY
# Time a request may take beyond its timeout, and the clocks of two machines may
# differ by, before the lease would be at risk.
LEASE_MARGIN_SECONDS = 5.0
# How often a pass looks again at whether its campaigns were paused or cancelled.
STATUS_CHECK_SECONDS = 1.0


def get_throttle() -> Throttle:
    ext = current_app.extensions
    if "throttle" not in ext:
        ext["throttle"] = Throttle(redis_connection())
    return ext["throttle"]


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
    # From here on the worker's watchdog thread keeps the slot alive, every second,
    # whatever this thread is doing (a request, a wait): a killed or paused worker
    # frees its slot within chains.HEARTBEAT_TTL seconds.
    chain = chains.running(slot, token)
    try:
        while chain.owned:
            result = dispatch_pass(config["DISPATCH_BATCH_SIZE"])
            totals.update(result.counts)
            if result.global_wait is not None and not result.counts.get("taken"):
                # The global rate is taken for the next moments by other chains (or
                # held after a 429): short waits are slept here, longer ones end the chain.
                wait = result.global_wait
                if wait <= 1.0 and time.monotonic() + wait < deadline:
                    time.sleep(wait)
                    continue
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
                chain.hand_on()
                _enqueue_link(slot, token)
                return dict(totals)
        chain.release()
    finally:
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


def _due_filter(now: datetime):
    active = select(Campaign.id).where(Campaign.sending_status == "active")
    return (
        Letter.state == S.QUEUED.value,
        or_(Letter.next_attempt_at.is_(None), Letter.next_attempt_at <= now),
        Letter.campaign_id.in_(active),
    )


def due_letters_exist() -> bool:
    return due_letters(limit=1) > 0


def due_letters(limit: int) -> int:
    """How many letters are due now (counting stops at ``limit``)."""
    due = select(Letter.id).where(*_due_filter(utcnow())).limit(limit).subquery()
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


@dataclass
class PassResult:
    idle: bool = False  # nothing was due
    global_wait: float | None = None  # the throttle's global rate is taken for this long
    counts: Counter = field(default_factory=Counter)


@dataclass
class _Candidate:
    id: int
    campaign_id: int
    representative_id: int
    email: str
    country: str


def dispatch_pass(limit: int) -> PassResult:
    """Take, send and record up to ``limit`` due letters (see the module docstring)."""
    try:
        taken, result = _claim(limit)
    except OperationalError as exc:
        if not _write_race(exc):
            # A lost or refused database is not a race: let the job fail, loudly.
            raise
        # SQLite: another process wrote between our read and our write. Try again.
        db.session.rollback()
        log.info("dispatch pass lost a write race; retrying")
        time.sleep(0.05)
        return PassResult(counts=Counter(retried=1))
    if taken:
        counts, held = _send(taken)
        result.counts.update(counts)
        if held is not None:
            result.global_wait = held
    return result


def _write_race(exc: OperationalError) -> bool:
    """Whether the error is SQLite's "database is locked" (another writer)."""
    return db.engine.dialect.name == "sqlite" and "locked" in str(exc.orig).lower()


@dataclass
class _Taken:
    """A letter this pass took: its attempt number, its throttle request, and when it
    is planned to go (time.monotonic())."""

    letter_id: int
    attempt: int
    request: Request
    planned: float
    lease_until: datetime  # as stored with the letter (wall clock)


def _claim(limit: int) -> tuple[list[_Taken], PassResult]:
    config = current_app.config
    now = utcnow()
    rows = db.session.execute(
        select(
            Letter.id,
            Letter.campaign_id,
            Letter.representative_id,
            Representative.email,
            Representative.country,
        )
        .join(Representative, Representative.id == Letter.representative_id)
        .where(*_due_filter(now))
        .order_by(Letter.fair_rank, Letter.id)
        .limit(limit)
        .with_for_update(of=Letter, skip_locked=True)
    ).all()
    result = PassResult()
    if not rows:
        db.session.rollback()
        result.idle = True
        return [], result
    candidates = [_Candidate(*row) for row in rows]
    # A flagged address, or an office that asked us to stop, gets nothing more.
    held = address_holds.hold_blocked_among([(c.id, c.representative_id) for c in candidates])
    candidates = [c for c in candidates if c.id not in held]
    campaigns = {
        c.id: c
        for c in db.session.execute(
            select(Campaign).where(Campaign.id.in_({c.campaign_id for c in candidates}))
        ).scalars()
    }
    deferred: dict[int, datetime] = {}
    requests: list[Request] = []
    token = secrets.token_hex(4)
    for c in candidates:
        campaign = campaigns[c.campaign_id]
        if campaign.send_window_start or campaign.send_window_weekdays_only:
            opening = next_opening(
                now,
                c.country,
                campaign.send_window_start,
                campaign.send_window_end,
                campaign.send_window_weekdays_only,
            )
            if opening > now:
                deferred[c.id] = opening + timedelta(
                    seconds=_jitter((opening - now).total_seconds())
                )
                continue
        limits = Limits.of(campaign, config)
        # A member of this pass only: should another worker reserve the same letter
        # meanwhile (SQLite has no SKIP LOCKED), each gives back only its own place.
        member = f"{c.id}:{token}"
        requests.append(Request(member, c.representative_id, email_domain(c.email), limits))
    throttle_on = config["THROTTLE_ENABLED"]
    if throttle_on:
        reservation = get_throttle().reserve(requests)
    else:
        reservation = Reservation(granted={r.member: 0.0 for r in requests}, examined=len(requests))
    reserved_at = time.monotonic()
    for member, (delay, _why) in reservation.deferred.items():
        deferred[_letter_id(member)] = now + timedelta(seconds=delay + _jitter(delay))
    result.global_wait = reservation.global_wait
    granted = reservation.granted
    attempts = delivery.take_letters([_letter_id(m) for m in granted], now)
    if throttle_on:
        unused = [
            r for r in requests if r.member in granted and _letter_id(r.member) not in attempts
        ]
        get_throttle().refund(unused)
    if deferred:
        db.session.execute(
            delivery.LETTERS.update()
            .where(
                delivery.LETTERS.c.id == bindparam("b_id"),
                delivery.LETTERS.c.state == S.QUEUED.value,
            )
            .values(next_attempt_at=bindparam("b_at")),
            [{"b_id": letter_id, "b_at": at} for letter_id, at in deferred.items()],
        )
    db.session.commit()
    # In the fair order the candidates came in.
    lease_until = delivery.lease_end(now)
    taken = [
        _Taken(
            _letter_id(r.member),
            attempts[_letter_id(r.member)],
            r,
            reserved_at + granted[r.member],
            lease_until,
        )
        for r in requests
        if _letter_id(r.member) in attempts
    ]
    result.counts.update(taken=len(taken), deferred=len(deferred))
    if held:
        result.counts["held_address"] = len(held)
    return taken, result


def _letter_id(member: str) -> int:
    return int(member.partition(":")[0])


def _jitter(delay: float) -> float:
    """Up to THROTTLE_JITTER_SECONDS, and at most a tenth of the delay: letters that
    wait an hour spread over half a minute, letters that wait a second barely move."""
    return random.uniform(0, min(current_app.config["THROTTLE_JITTER_SECONDS"], delay / 10))


def _send(taken: list[_Taken]) -> tuple[Counter, float | None]:
    """Send the letters taken, each at its global slot; hand each outcome to the
    writer thread as soon as it is known (delivery.outcome_writer). Returns the counts
    and, when the global schedule was held (a 429), how long it is held."""
    config = current_app.config
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
    backend = get_backend()
    throttle = get_throttle() if config["THROTTLE_ENABLED"] else None
    writer, batch = get_writer(), Batch()
    handed_back: list[Request] = []
    stopped: dict[int, str] = {}  # campaign id -> "paused" | "cancelled"
    held: float | None = None
    last_check = time.monotonic()
    for index, item in enumerate(taken):
        letter_id, attempt = item.letter_id, item.attempt
        if time.monotonic() - last_check > STATUS_CHECK_SECONDS:
            stopped = _stopped_campaigns(set(campaign_of.values()))
            _renew_leases(taken[index:])
            last_check = time.monotonic()
        status = stopped.get(campaign_of[letter_id])
        reason = None
        if item.lease_until is None:
            reason = "lost"  # handed back or taken again meanwhile: no longer ours
        elif status is not None:
            reason = "the campaign was paused"
        elif held is not None:
            reason = "sending is held after a 429 from SendGrid"
        elif not _inside_lease(item):
            reason = "the lease ran short"
        elif throttle is not None:
            # Until the planned time (the other workers' batches go first), then the
            # slot itself, right before the request.
            early = item.planned - time.monotonic()
            if early > 0:
                time.sleep(early)
            go, wait = throttle.slot(item.request)
            if not go:
                held = wait
                reason = "sending is held after a 429 from SendGrid"
            elif wait > 0:
                time.sleep(wait)
        if reason is None and not _inside_lease(item):
            # The fence: checked again after every wait, by the wall clock (the
            # process may have been paused, a virtual machine suspended).
            reason = "the lease ran out before the request"
            log.warning("letter %s: lease ran out before its request; not sent", letter_id)
        fenced_at = time.monotonic()
        if reason == "lost":
            handed_back.append(item.request)
        elif status == "cancelled":
            writer.submit(delivery.Outcome(letter_id, attempt, "cancelled"), batch)
            handed_back.append(item.request)
        elif reason is not None:
            delay = held or 0.0
            outcome = delivery.Outcome(letter_id, attempt, "released", reason, delay=delay)
            writer.submit(outcome, batch)
            handed_back.append(item.request)
        else:
            outcome = _attempt(backend, letter_id, messages[letter_id], attempt, throttle)
            _note_check_to_socket(backend, fenced_at)
            if outcome.kind == "retry" and outcome.counts is False and throttle is not None:
                held = outcome.delay
            writer.submit(outcome, batch)
    if throttle is not None and handed_back:
        throttle.refund(handed_back)
    return batch.wait(), held


def _inside_lease(item: _Taken) -> bool:
    """Whether a request started now ends, whatever happens, inside the letter's
    lease: its whole timeout plus a margin (for clock differences between machines)
    before the lease stored with the letter, by the wall clock."""
    config = current_app.config
    allowance = timedelta(seconds=config["SENDGRID_TIMEOUT"] + LEASE_MARGIN_SECONDS)
    return utcnow() + allowance <= item.lease_until


def _renew_leases(remaining: list[_Taken]) -> None:
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


def _attempt(backend, letter_id: int, message, attempt: int, throttle) -> delivery.Outcome:
    try:
        message_id = backend.send(message)
    except TransientMailError as exc:
        rate_limited = exc.retry_after is not None
        if rate_limited and throttle is not None:
            throttle.hold(exc.retry_after)
        delay = delivery.retry_delay(attempt, exc.retry_after)
        return delivery.Outcome(
            letter_id, attempt, "retry", str(exc), delay=delay, counts=not rate_limited
        )
    except PermanentMailError as exc:
        return delivery.Outcome(letter_id, attempt, "failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad letter must not strand the batch
        log.exception("letter %s: unexpected error while sending", letter_id)
        delay = delivery.retry_delay(attempt, None)
        reason = f"internal error: {exc!r}"[:300]
        return delivery.Outcome(letter_id, attempt, "retry", reason, delay=delay)
    delivery.journal_sent(letter_id, attempt, message_id or "")
    if not message_id:
        log.warning(
            "letter %s: accepted by the mail provider without a message id (no X-Message-Id)",
            letter_id,
        )
    return delivery.Outcome(letter_id, attempt, "sent", message_id=message_id or "")


def _stopped_campaigns(campaign_ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Campaign.id, Campaign.sending_status).where(
            Campaign.id.in_(campaign_ids), Campaign.sending_status != "active"
        )
    ).all()
    db.session.rollback()
    return dict(rows)
