"""What the staff home shows: what needs someone today, and the day's and the
week's figures, each counted over the raw records (never the rollups), so the
home page is as current as the last commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, exists, func, or_, select
from sqlalchemy.orm import aliased

from campaign.core.extensions import db
from campaign.models import (
    AddressFlag,
    Campaign,
    Letter,
    LetterEvent,
    LetterState,
    Reply,
    Representative,
    Submission,
)
from campaign.models.base import utcnow

log = logging.getLogger(__name__)
S = LetterState
# Letters due longer than this with nobody sending them mean the workers are idle.
IDLE_AFTER = timedelta(minutes=2)


@dataclass
class Attention:
    held: int  # submissions waiting for review
    bounced_addresses: int  # flagged addresses representatives still have
    failed: int  # letters that failed for good
    unmatched_replies: int
    unread_replies: int  # messages that could not be read
    unreviewed_replies: int  # human replies without a recorded stance
    paused: list[Campaign]
    overdue: int  # letters due for longer than IDLE_AFTER in active campaigns
    workers: int | None  # RQ workers registered; None when Redis cannot be asked

    @property
    def workers_idle(self) -> bool:
        return self.overdue > 0


def _count(query) -> int:
    return int(db.session.execute(query).scalar_one() or 0)


def _workers() -> int | None:
    from rq import Worker

    from campaign.core.queues import redis_connection

    try:
        return Worker.count(connection=redis_connection())
    except Exception:  # noqa: BLE001 - Redis down: the page says it cannot tell
        log.warning("could not count workers", exc_info=True)
        return None


def attention(now: datetime | None = None) -> Attention:
    """What needs staff now, each item a count over the raw tables."""
    now = now or utcnow()
    flagged = (
        select(func.count())
        .select_from(AddressFlag)
        .join(Representative, Representative.id == AddressFlag.representative_id)
        .where(
            AddressFlag.resolved_at.is_(None),
            AddressFlag.email == func.lower(Representative.email),
        )
    )
    overdue = (
        select(func.count())
        .select_from(Letter)
        .join(Campaign, Campaign.id == Letter.campaign_id)
        .where(
            Letter.state == S.QUEUED.value,
            Campaign.sending_status == "active",
            or_(Letter.next_attempt_at.is_(None), Letter.next_attempt_at <= now - IDLE_AFTER),
        )
    )
    return Attention(
        held=_count(
            select(func.count(distinct(Letter.submission_id))).where(Letter.state == S.HELD.value)
        ),
        bounced_addresses=_count(flagged),
        failed=_count(select(func.count()).where(Letter.state == S.FAILED.value)),
        unmatched_replies=_count(select(func.count()).where(Reply.letter_id.is_(None))),
        unread_replies=_count(select(func.count()).where(Reply.kind.is_(None))),
        unreviewed_replies=_count(
            select(func.count()).where(
                Reply.kind == "human", Reply.stance.is_(None), Reply.letter_id.is_not(None)
            )
        ),
        paused=list(
            db.session.execute(
                select(Campaign).where(Campaign.sending_status == "paused").order_by(Campaign.title)
            ).scalars()
        ),
        overdue=_count(overdue),
        workers=_workers(),
    )


def figures(since: datetime) -> dict[str, int]:
    """Letters written, confirmed, sent, delivered and answered since ``since``."""

    def first_reached(*states: LetterState) -> int:
        """Letters that reached one of ``states`` in the period, and none before it
        (states only move forward: a letter delivered, then answered, counts once)."""
        values = [state.value for state in states]
        earlier = aliased(LetterEvent)
        return _count(
            select(func.count(distinct(LetterEvent.letter_id))).where(
                LetterEvent.to_state.in_(values),
                LetterEvent.created_at >= since,
                ~exists().where(
                    earlier.letter_id == LetterEvent.letter_id,
                    earlier.to_state.in_(values),
                    earlier.created_at < since,
                ),
            )
        )

    return {
        "written": _count(select(func.count()).where(Letter.created_at >= since)),
        "confirmed": _count(
            select(func.count())
            .select_from(Letter)
            .join(Submission, Submission.id == Letter.submission_id)
            .where(Submission.confirmed_at >= since)
        ),
        "sent": _count(select(func.count()).where(Letter.sent_at >= since)),
        # Known to have arrived: a delivery event, or a reply (which proves it).
        "delivered": first_reached(S.DELIVERED, S.REPLIED),
        "answered": first_reached(S.REPLIED),
    }


def periods(now: datetime | None = None) -> dict[str, datetime]:
    """Today (since midnight UTC) and the last seven days."""
    now = now or utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"today": midnight, "week": midnight - timedelta(days=6)}
