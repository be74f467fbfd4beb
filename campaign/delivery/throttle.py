"""The sending throttle, shared by every worker on every machine.

Its state lives in Redis and every decision is one Lua script, so a check and the
reservation it makes are atomic across processes; no process keeps throttle state of
its own. Four limits apply to each letter (the campaign sets them, docs/architecture/delivery.md):

* a global rate (letters per second) — a GCRA schedule: every letter gets a slot
  1/rate after the previous one, so sending is paced evenly instead of in bursts;
* per representative, at most N letters in any hour and M in any day — sliding
  windows kept as a sorted set of send times per representative;
* per recipient domain, at most K letters in any minute — a sliding window too;
* when the campaign spreads its sending (``spread_until_close``), a representative's
  next letter of that campaign leaves no earlier than the previous one plus
  max((end − previous) ÷ (letters still waiting + 1), 1 day ÷ daily ceiling), where
  the end is the campaign's closing moment: the letters waiting are spaced evenly
  until then, recomputed at every letter, so letters written later tighten the pace.
  The send times are a sorted set per campaign and representative.

A letter goes through two steps. ``reserve`` (before the letter is taken) checks the
caps and the domain's window, counts the letter in them, and plans its time in the
global schedule up to ``HORIZON`` ahead; a letter refused is told when it may be
tried again, and the dispatcher comes back to it then (RQ's scheduler wakes it).
``slot`` (at the planned time, immediately before the request to SendGrid, with no
database work in between) takes the letter's place in the global schedule itself:
the workers' planned batches follow one another, and the slots keep every two
requests at least 1/rate apart even when a worker runs late. The schedule runs at
``HEADROOM`` of the configured rate, so that the jitter left between a slot and the
request reaching SendGrid never puts more than the limit into any one-second window.
A slot further away than a few seconds (after a 429) hands the letter back instead.
The cap windows record each letter at its slot, so they count what reached SendGrid.

Redis may lose everything at any moment. A marker key (the epoch) is written once the
counts are complete; when it is missing, the first caller rebuilds the windows from
the letters the database records as sent (and those in `sending`), so a restart
never lets a cap be exceeded; everyone else waits meanwhile.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from redis import Redis

from campaign.core.extensions import db
from campaign.core.queues import redis_connection
from campaign.delivery import digest_members, spread
from campaign.delivery.throttle_scripts import HOLD, RESERVE, SLOT
from campaign.models import Letter, LetterState, Representative
from campaign.models.base import utcnow

log = logging.getLogger(__name__)

PREFIX = "campaign:throttle:"
EPOCH_KEY = PREFIX + "epoch"
GLOBAL_KEY = PREFIX + "global"
PLAN_KEY = PREFIX + "plan"
REBUILD_LOCK_KEY = PREFIX + "rebuild"

# The global schedule runs this much below the configured rate (see the module docstring).
HEADROOM = 0.97
# How far ahead letters may be planned (taken before their slot), in seconds.
HORIZON = 1.0
# The longest a taken letter waits for its global slot before it is handed back.
MAX_SLOT_WAIT = 5.0
DOMAIN_WINDOW_SECONDS = 60
# After a Redis loss, how long the rebuild waits before counting: a reservation made
# just before the loss is committed to the database within milliseconds.
REBUILD_SETTLE_SECONDS = 0.5
REBUILD_LOCK_SECONDS = 5


def rep_key(representative_id: int) -> str:
    return f"{PREFIX}rep:{representative_id}"


def spread_key(campaign_id: int, representative_id: int) -> str:
    return f"{PREFIX}spread:{campaign_id}:{representative_id}"


def domain_key(domain: str) -> str:
    return f"{PREFIX}domain:{domain}"


def email_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower()


@dataclass(frozen=True)
class Limits:
    """One campaign's limits; window lengths come from the settings (benchmarks shorten them)."""

    per_second: float
    rep_per_hour: int
    rep_per_day: int
    domain_per_minute: int
    hour_seconds: int = 3600
    day_seconds: int = 86400
    # Spreading (None: off): the end as Unix seconds, and the daily ceiling.
    spread_end: float | None = None
    spread_per_day: int = 24

    @classmethod
    def of(cls, campaign, config) -> Limits:
        end = campaign.spread_end()
        return cls(
            per_second=float(campaign.throttle_per_second),
            rep_per_hour=int(campaign.throttle_rep_per_hour),
            rep_per_day=int(campaign.throttle_rep_per_day),
            domain_per_minute=int(campaign.throttle_domain_per_minute),
            hour_seconds=int(config["THROTTLE_REP_HOUR_SECONDS"]),
            day_seconds=int(config["THROTTLE_REP_DAY_SECONDS"]),
            spread_end=None if end is None else end.timestamp(),
            spread_per_day=max(1, int(campaign.spread_daily_ceiling or 1)),
        )

    @property
    def spread_min_interval(self) -> float:
        """The shortest gap between two letters to one representative when spreading."""
        return self.day_seconds / self.spread_per_day


@dataclass(frozen=True)
class Request:
    """One letter asking to go: ``member`` is its id, unique in the windows.
    ``campaign_id`` and ``waiting`` (the campaign's letters queued for the
    representative, this one included) matter only when the campaign spreads."""

    member: str
    representative_id: int
    domain: str
    limits: Limits
    campaign_id: int = 0
    waiting: int = 1


@dataclass
class Reservation:
    """What ``reserve`` decided for the requests of one call, in their order.

    ``granted``: member -> seconds from now until its planned time; take it, wait
    until then, and ask for its ``slot``.
    ``deferred``: member -> (seconds from now before it may be tried again, why).
    ``global_wait``: when set, the global schedule is full for the next HORIZON: the
    requests after ``examined`` were not looked at; try again after this many seconds.
    """

    granted: dict[str, float] = field(default_factory=dict)
    deferred: dict[str, tuple[float, str]] = field(default_factory=dict)
    global_wait: float | None = None
    examined: int = 0


def get_throttle() -> Throttle:
    """The current app's throttle, on the app's Redis connection."""
    ext = current_app.extensions
    if "throttle" not in ext:
        ext["throttle"] = Throttle(redis_connection())
    return ext["throttle"]


class Throttle:
    """The throttle on one Redis connection. Methods are safe to call from any number
    of processes at once."""

    def __init__(self, redis: Redis):
        self.redis = redis
        self._reserve = redis.register_script(RESERVE)
        self._slot = redis.register_script(SLOT)
        self._hold = redis.register_script(HOLD)

    def reserve(self, requests: list[Request]) -> Reservation:
        """Decide, in order, which of ``requests`` may go and when (see Reservation).
        Rebuilds the counts from the database first when Redis has lost them."""
        if not requests:
            return Reservation()
        keys = [EPOCH_KEY, PLAN_KEY]
        args: list = [HORIZON]
        for r in requests:
            keys += [
                rep_key(r.representative_id),
                domain_key(r.domain),
                spread_key(r.campaign_id, r.representative_id),
            ]
            limits = r.limits
            spreading = limits.spread_end is not None
            args += [
                r.member,
                1.0 / (limits.per_second * HEADROOM),
                DOMAIN_WINDOW_SECONDS,
                limits.domain_per_minute,
                limits.hour_seconds,
                limits.rep_per_hour,
                limits.day_seconds,
                limits.rep_per_day,
                repr(limits.spread_end) if spreading else "-1",
                limits.spread_min_interval if spreading else 0,
                max(1, r.waiting),
            ]
        for _ in range(3):
            answer = [_text(v) for v in self._reserve(keys=keys, args=args)]
            if answer[0] != "noepoch":
                return _parse(answer, requests)
            if not self.ensure_counts():
                # Another process is rebuilding the counts: come back in a moment.
                return Reservation(global_wait=REBUILD_SETTLE_SECONDS)
        return Reservation(global_wait=REBUILD_SETTLE_SECONDS)

    def slot(self, request: Request, longest_wait: float = MAX_SLOT_WAIT) -> tuple[bool, float]:
        """Take the request's place in the global schedule, right before sending:
        (True, seconds to sleep until the slot), or (False, seconds until a slot
        would be free) when that is more than ``longest_wait`` away."""
        kind, value = self._slot(
            keys=[
                GLOBAL_KEY,
                rep_key(request.representative_id),
                domain_key(request.domain),
                spread_key(request.campaign_id, request.representative_id),
            ],
            args=[1.0 / (request.limits.per_second * HEADROOM), request.member, longest_wait],
        )
        return _text(kind) == "go", max(0.0, float(_text(value)))

    def refund(self, requests: list[Request]) -> None:
        """Give back the places of letters that were not sent after all (taken by
        someone else meanwhile, or handed back). Global slots are not given back: a
        slot left unused only makes sending slower, never faster."""
        if not requests:
            return
        pipe = self.redis.pipeline(transaction=False)
        for r in requests:
            pipe.zrem(rep_key(r.representative_id), r.member)
            pipe.zrem(domain_key(r.domain), r.member)
            pipe.zrem(spread_key(r.campaign_id, r.representative_id), r.member)
        pipe.execute()

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (SendGrid said 429 until then)."""
        self._hold(keys=[GLOBAL_KEY, PLAN_KEY], args=[max(0.0, seconds)])

    def ensure_counts(self) -> bool:
        """Make sure the epoch marker is there, rebuilding the counts if it is not.
        Returns False when another process holds the rebuild (try again shortly)."""
        if self.redis.exists(EPOCH_KEY):
            return True
        token = secrets.token_hex(8)
        # A short lock: a worker killed while rebuilding must not stop everyone's
        # sending for long; should a rebuild outlast it, a second one writes the same
        # windows from the same rows, which is harmless.
        if not self.redis.set(REBUILD_LOCK_KEY, token, nx=True, ex=REBUILD_LOCK_SECONDS):
            return False
        try:
            time.sleep(
                current_app.config.get("THROTTLE_REBUILD_SETTLE_SECONDS", REBUILD_SETTLE_SECONDS)
            )
            count = rebuild_counts(self.redis)
            self.redis.set(EPOCH_KEY, str(time.time()))
            log.warning("throttle counts rebuilt from the database (%d letters)", count)
        finally:
            if _text(self.redis.get(REBUILD_LOCK_KEY)) == token:
                self.redis.delete(REBUILD_LOCK_KEY)
        return True

    def representative_counts(self, representative_id: int, limits: Limits) -> tuple[int, int]:
        """Letters counted for a representative in the current hour and day windows."""
        now = self.redis_time()
        key = rep_key(representative_id)
        hour = self.redis.zcount(key, f"({now - limits.hour_seconds}", "+inf")
        day = self.redis.zcount(key, f"({now - limits.day_seconds}", "+inf")
        return int(hour), int(day)

    def last_spread_send(self, campaign_id: int, representative_id: int) -> float | None:
        """When the campaign's latest letter to the representative left (or is
        planned to), as Unix seconds; None when none is known."""
        newest = self.redis.zrange(
            spread_key(campaign_id, representative_id), -1, -1, withscores=True
        )
        return float(newest[0][1]) if newest else None

    def redis_time(self) -> float:
        seconds, micro = self.redis.time()
        return seconds + micro / 1_000_000


def rebuild_counts(redis: Redis) -> int:
    """Write the windows from the database: per representative every letter sent in
    the last day window, per domain every letter sent in the last minute, each at its
    sent_at, and every letter in `sending` as if sent now. With letters in flight,
    the global schedule restarts one horizon ahead, leaving room for the slots they
    may hold.
    Returns how many letters were counted."""
    config = current_app.config
    now = utcnow()
    since = now - timedelta(seconds=config["THROTTLE_REP_DAY_SECONDS"])
    rows = db.session.execute(
        db.select(
            Letter.id, Letter.representative_id, Letter.sent_at, Letter.state, Representative.email
        )
        .join(Representative, Representative.id == Letter.representative_id)
        .where(
            db.or_(Letter.sent_at >= since, Letter.state == LetterState.SENDING.value),
            digest_members.own_message(),  # a digest counts once, by its lead
        )
    ).all()
    db.session.rollback()
    now_ts = now.timestamp()
    by_rep: dict[int, dict[str, float]] = defaultdict(dict)
    by_domain: dict[str, dict[str, float]] = defaultdict(dict)
    for letter_id, rep_id, sent_at, state, email in rows:
        at = sent_at.timestamp() if sent_at is not None and state != "sending" else now_ts
        by_rep[rep_id][str(letter_id)] = at
        if at > now_ts - DOMAIN_WINDOW_SECONDS:
            by_domain[email_domain(email)][str(letter_id)] = at
    pipe = redis.pipeline(transaction=False)
    for keys, ttl in (
        ({rep_key(k): v for k, v in by_rep.items()}, int(config["THROTTLE_REP_DAY_SECONDS"])),
        ({domain_key(k): v for k, v in by_domain.items()}, DOMAIN_WINDOW_SECONDS),
    ):
        for key, members in keys.items():
            pipe.delete(key)
            for chunk in _chunks(list(members.items()), 1000):
                pipe.zadd(key, dict(chunk))
            pipe.expire(key, ttl + 60)
    lasts = {spread_key(*pair): last for pair, last in spread.latest_sends(now_ts).items()}
    for key, (at, ttl) in lasts.items():
        pipe.delete(key)
        pipe.zadd(key, {"rebuilt": at})
        pipe.expire(key, ttl)
    if any(state == "sending" for _, _, _, state, _ in rows):
        # Letters in flight may be planned, or hold global slots, up to a horizon ahead.
        for key in (GLOBAL_KEY, PLAN_KEY):
            pipe.set(key, str(now_ts + HORIZON), px=int(HORIZON * 1000) + 60000)
    pipe.execute()
    return len(rows) + len(lasts)


def _parse(answer: list[str], requests: list[Request]) -> Reservation:
    result = Reservation()
    pairs = answer[2:]
    for i in range(0, len(pairs), 2):
        kind, value = pairs[i], max(0.0, float(pairs[i + 1]))
        if kind == "stop":
            result.global_wait = value
            break
        member = requests[i // 2].member
        result.examined += 1
        if kind == "go":
            result.granted[member] = value
        else:
            result.deferred[member] = (value, kind)
    return result


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
