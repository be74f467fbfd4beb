"""Taking a batch of due letters: the first half of a dispatch pass
(delivery.dispatch).

Up to a batch of due letters of active campaigns is selected in fair order
(``fair_rank``, then id) and locked (FOR UPDATE SKIP LOCKED on PostgreSQL, so two
workers never look at the same letters). Letters outside their campaign's sending
window, and letters the throttle refuses (a cap, a domain's rate, or a campaign's
spread: for those, the campaign's letters still queued per representative are
counted here and handed to the throttle), get the time
they may be tried again, with jitter so that a backlog spreads instead of arriving
in one burst. The letters the throttle grants are taken (compare-and-set, with a
lease) and the transaction commits.

Between the lock and the commit the worker also asks Redis (the throttle). A worker
stopped in that moment (SIGSTOP, a stalled VM) would keep its letters from every
other worker, which skip locked rows, for as long as it is stopped: on PostgreSQL
the claim's transaction therefore carries ``idle_in_transaction_session_timeout``
(CLAIM_IDLE_SECONDS), so the server ends such a session and its letters, never
taken, are due again for the others; the woken worker's next statement fails and
its job ends.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, text

from campaign.core.extensions import db
from campaign.delivery import address_holds, delivery
from campaign.delivery.send_window import next_opening
from campaign.delivery.throttle import Limits, Request, Reservation, email_domain, get_throttle
from campaign.models import Campaign, Letter, LetterState, Representative
from campaign.models.base import utcnow

S = LetterState


def due_filter(now: datetime):
    """Letters due at ``now``: queued, their time come, their campaign sending."""
    active = select(Campaign.id).where(Campaign.sending_status == "active")
    return (
        Letter.state == S.QUEUED.value,
        or_(Letter.next_attempt_at.is_(None), Letter.next_attempt_at <= now),
        Letter.campaign_id.in_(active),
    )


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


@dataclass
class Taken:
    """A letter this pass took: its attempt number, its throttle request, and when it
    is planned to go (time.monotonic())."""

    letter_id: int
    attempt: int
    request: Request
    planned: float
    lease_until: datetime | None  # as stored with the letter (wall clock); None: lost


def claim(limit: int) -> tuple[list[Taken], PassResult]:
    """Select, throttle and take up to ``limit`` due letters, and commit. Returns the
    letters taken, in fair order, with the pass's counts so far."""
    config = current_app.config
    now = utcnow()
    if db.engine.dialect.name == "postgresql":
        idle_ms = max(1, int(config["CLAIM_IDLE_SECONDS"] * 1000))
        db.session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {idle_ms}"))
    rows = db.session.execute(
        select(
            Letter.id,
            Letter.campaign_id,
            Letter.representative_id,
            Representative.email,
            Representative.country,
        )
        .join(Representative, Representative.id == Letter.representative_id)
        .where(*due_filter(now))
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
    waiting = _waiting_to_spread(candidates, campaigns)
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
        requests.append(
            Request(
                member,
                c.representative_id,
                email_domain(c.email),
                limits,
                campaign_id=c.campaign_id,
                waiting=waiting.get((c.campaign_id, c.representative_id), 1),
            )
        )
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
        Taken(
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


def _waiting_to_spread(
    candidates: list[_Candidate], campaigns: dict[int, Campaign]
) -> dict[tuple[int, int], int]:
    """For the candidates of campaigns that spread their sending: how many letters
    of the campaign are queued for each representative, {(campaign, rep): count}."""
    pairs = {
        (c.campaign_id, c.representative_id)
        for c in candidates
        if campaigns[c.campaign_id].spread_until_close
    }
    if not pairs:
        return {}
    rows = db.session.execute(
        select(Letter.campaign_id, Letter.representative_id, func.count())
        .where(
            Letter.state == S.QUEUED.value,
            Letter.campaign_id.in_({campaign for campaign, _ in pairs}),
            Letter.representative_id.in_({rep for _, rep in pairs}),
        )
        .group_by(Letter.campaign_id, Letter.representative_id)
    ).all()
    return {(campaign, rep): count for campaign, rep, count in rows}


def _letter_id(member: str) -> int:
    return int(member.partition(":")[0])


def _jitter(delay: float) -> float:
    """Up to THROTTLE_JITTER_SECONDS, and at most a tenth of the delay: letters that
    wait an hour spread over half a minute, letters that wait a second barely move."""
    return random.uniform(0, min(current_app.config["THROTTLE_JITTER_SECONDS"], delay / 10))
