"""What the staff queue pages show: a campaign's letters waiting, scheduled, sending
and failed, per representative, from the database (the record); and the RQ queues
and registries, from Redis (the conveyor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import case, func, or_, select

from campaign.core.extensions import db
from campaign.core.queues import ALL_QUEUES, get_queue
from campaign.delivery.dispatch import SLOT_KEY
from campaign.delivery.outcomes import DUPLICATE_CAUSE
from campaign.delivery.throttle import HEADROOM
from campaign.models import Campaign, Digest, Letter, LetterEvent, LetterState, Representative
from campaign.models.base import utcnow

S = LetterState
# Letters of a representative that staff may want to look at first.
ROWS = 200


@dataclass
class RepresentativeQueue:
    id: int
    name: str
    email: str
    waiting: int  # queued and due now
    scheduled: int  # queued, due later (throttle, sending window, retry)
    sending: int
    failed: int
    bounced: int  # includes SendGrid's "dropped": the address is on its suppression list
    sent_last_hour: int
    sent_last_day: int
    next_attempt_at: datetime | None


def digests_sent(campaign: Campaign) -> tuple[int, int]:
    """(digests sent, letters they carried) for the campaign (letters.digests)."""
    lead = Letter.__table__.alias("lead")
    row = db.session.execute(
        select(func.count(Digest.id), func.coalesce(func.sum(Digest.letters_count), 0))
        .join(lead, lead.c.id == Digest.lead_letter_id)
        .where(Digest.campaign_id == campaign.id, lead.c.sent_at.is_not(None))
    ).one()
    return int(row[0]), int(row[1])


def state_counts(campaign: Campaign) -> dict[str, int]:
    counts = dict(
        db.session.execute(
            select(Letter.state, func.count())
            .where(Letter.campaign_id == campaign.id)
            .group_by(Letter.state)
        ).all()
    )
    return {state.value: counts.get(state.value, 0) for state in LetterState}


def due_counts(campaign: Campaign) -> tuple[int, int]:
    """(waiting: queued and due now, scheduled: queued for later)."""
    now = utcnow()
    due = or_(Letter.next_attempt_at.is_(None), Letter.next_attempt_at <= now)
    waiting, scheduled = db.session.execute(
        select(
            func.coalesce(func.sum(case((due, 1), else_=0)), 0),
            func.coalesce(func.sum(case((due, 0), else_=1)), 0),
        ).where(Letter.campaign_id == campaign.id, Letter.state == S.QUEUED.value)
    ).one()
    return int(waiting), int(scheduled)


def representative_queues(campaign: Campaign, limit: int = ROWS) -> list[RepresentativeQueue]:
    """Per representative with anything queued, sending, failed or bounced, or sent in
    the last day: the busiest first."""
    now = utcnow()
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    queued = Letter.state == S.QUEUED.value
    due = or_(Letter.next_attempt_at.is_(None), Letter.next_attempt_at <= now)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    waiting = count(queued & due)
    scheduled = count(queued & ~due)
    rows = db.session.execute(
        select(
            Representative.id,
            Representative.name,
            Representative.email,
            waiting,
            scheduled,
            count(Letter.state == S.SENDING.value),
            count(Letter.state == S.FAILED.value),
            count(Letter.state == S.BOUNCED.value),
            count(Letter.sent_at >= hour),
            count(Letter.sent_at >= day),
            func.min(case((queued, Letter.next_attempt_at), else_=None)),
        )
        .join(Representative, Representative.id == Letter.representative_id)
        .where(
            Letter.campaign_id == campaign.id,
            or_(
                Letter.state.in_(
                    [S.QUEUED.value, S.SENDING.value, S.FAILED.value, S.BOUNCED.value]
                ),
                Letter.sent_at >= day,
            ),
        )
        .group_by(Representative.id, Representative.name, Representative.email)
        .order_by((waiting + scheduled).desc(), Representative.name)
        .limit(limit)
    ).all()
    return [RepresentativeQueue(*(row[:3]), *(int(v) for v in row[3:10]), row[10]) for row in rows]


def recent_failures(campaign: Campaign, limit: int = 20) -> list[Letter]:
    return list(
        db.session.execute(
            select(Letter)
            .where(Letter.campaign_id == campaign.id, Letter.state == S.FAILED.value)
            .order_by(Letter.updated_at.desc())
            .limit(limit)
        ).scalars()
    )


@dataclass
class JobQueue:
    name: str
    queued: int
    scheduled: int
    started: int
    failed: int


def job_queues() -> list[JobQueue]:
    """RQ's own view: jobs waiting, scheduled, running and failed per queue. (Letters
    are not jobs: a few dispatch jobs carry all of them.)"""
    result = []
    for name in ALL_QUEUES:
        queue = get_queue(name)
        result.append(
            JobQueue(
                name=name,
                queued=queue.count,
                scheduled=queue.scheduled_job_registry.get_job_count(cleanup=False),
                started=queue.started_job_registry.get_job_count(cleanup=False),
                failed=queue.failed_job_registry.get_job_count(cleanup=False),
            )
        )
    return result


def active_dispatchers() -> int:
    redis = get_queue(ALL_QUEUES[0]).connection
    slots = current_app.config["DISPATCH_CONCURRENCY"]
    return sum(1 for v in redis.mget([SLOT_KEY.format(i) for i in range(slots)]) if v is not None)


def effective_rate(campaign: Campaign) -> float:
    """Letters per second the global schedule paces at (see delivery.throttle)."""
    return campaign.throttle_per_second * HEADROOM


@dataclass
class DispatchHealth:
    """Whether letters are being taken: ``stalled`` when letters have been due for
    DISPATCH_STALL_SECONDS and no worker took one in that time."""

    due: int
    idle_seconds: float | None  # since a worker last took a letter (None: never)
    stalled: bool

    def describe(self) -> str:
        """What staff read on the queue page, in their language."""
        if not self.stalled:
            return gettext("ok")
        since = (
            gettext("no letter was ever taken")
            if self.idle_seconds is None
            else gettext("no letter taken for %(seconds)s s", seconds=f"{self.idle_seconds:.0f}")
        )
        return ngettext(
            "stalled: %(num)d letter due, %(since)s; is a worker running?",
            "stalled: %(num)d letters due, %(since)s; is a worker running?",
            self.due,
            since=since,
        )


def dispatch_health(limit: int = 10_000) -> DispatchHealth:
    """From the database alone (the record), so that it holds after a Redis loss."""
    now = utcnow()
    threshold = now - timedelta(seconds=current_app.config["DISPATCH_STALL_SECONDS"])
    active = select(Campaign.id).where(Campaign.sending_status == "active")
    due_since = (
        select(Letter.id)
        .where(
            Letter.state == S.QUEUED.value,
            or_(Letter.next_attempt_at.is_(None), Letter.next_attempt_at <= threshold),
            Letter.campaign_id.in_(active),
        )
        .limit(limit)
        .subquery()
    )
    due = db.session.execute(select(func.count()).select_from(due_since)).scalar_one()
    # The newest `taken by a worker` event, found from the newest event backwards.
    last_taken = db.session.execute(
        select(LetterEvent.created_at)
        .where(LetterEvent.to_state == S.SENDING.value)
        .order_by(LetterEvent.id.desc())
        .limit(1)
    ).scalar()
    idle = None if last_taken is None else (now - last_taken).total_seconds()
    stalled = bool(due) and (last_taken is None or last_taken < threshold)
    return DispatchHealth(int(due), idle, stalled)


def duplicates(campaign: Campaign | None = None) -> int:
    """Letters sent twice that the workers noticed (delivery.outcomes.note_duplicate)."""
    query = select(func.count(func.distinct(LetterEvent.letter_id))).where(
        LetterEvent.cause.like(f"{DUPLICATE_CAUSE}:%")
    )
    if campaign is not None:
        query = query.join(Letter, Letter.id == LetterEvent.letter_id).where(
            Letter.campaign_id == campaign.id
        )
    return db.session.execute(query).scalar_one()
