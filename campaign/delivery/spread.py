"""Sending spread over the campaign, as organisers and staff see it: when the
letters queued now are expected to have left (delivery.throttle enforces the pace).

With ``n`` letters of the campaign waiting for a representative whose previous one
left at ``p``, the throttle lets each next letter go max((end − p) ÷ (n + 1), 1 day
÷ ceiling) after the one before; with no new letters that gap stays the same, so the
last one leaves at p + n × gap (before the end, or later when the ceiling binds).
A representative with no letter sent yet gets the first at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, or_, select

from campaign.core.extensions import db
from campaign.models import Campaign, Letter, LetterState
from campaign.models.base import utcnow

S = LetterState


@dataclass
class SpreadOutlook:
    end: datetime  # the moment the letters aim to have left by
    gap_per_day: int  # the daily ceiling per representative
    representatives: int  # with letters queued
    queued: int
    last_send: datetime | None  # when the last queued letter is expected to leave


def last_send(
    previous: datetime | None, waiting: int, end: datetime, min_gap: float, now: datetime
):
    """When the last of ``waiting`` letters to one representative is expected to
    leave (see the module docstring); None when nothing waits."""
    if waiting < 1:
        return None
    if previous is None:
        previous, waiting = now, waiting - 1
    gap = max((end - previous).total_seconds() / (waiting + 1), min_gap)
    return max(previous + timedelta(seconds=gap * waiting), now)


def outlook(campaign: Campaign) -> SpreadOutlook | None:
    """The campaign's spread now (None when it does not spread): from the database,
    per representative with letters queued, its letters queued and its latest sent."""
    end = campaign.spread_end()
    if end is None:
        return None
    now = utcnow()
    min_gap = current_app.config["THROTTLE_REP_DAY_SECONDS"] / max(1, campaign.spread_daily_ceiling)
    queued = func.sum(case((Letter.state == S.QUEUED.value, 1), else_=0))
    rows = db.session.execute(
        select(
            Letter.representative_id,
            queued,
            func.max(Letter.sent_at),
            func.max(case((Letter.state == S.SENDING.value, 1), else_=0)),
        )
        .where(Letter.campaign_id == campaign.id)
        .group_by(Letter.representative_id)
        .having(queued > 0)
    ).all()
    latest, total = None, 0
    for _rep, waiting, sent_at, in_flight in rows:
        total += int(waiting)
        previous = now if in_flight else sent_at
        at = last_send(previous, int(waiting), end, min_gap, now)
        if at is not None and (latest is None or at > latest):
            latest = at
    return SpreadOutlook(end, campaign.spread_daily_ceiling, len(rows), total, latest)


def latest_sends(now_ts: float) -> dict[tuple[int, int], tuple[float, int]]:
    """For every campaign that spreads its sending, per representative, when its
    latest letter left (a letter in `sending` as if now), however long ago, with how
    long the throttle must remember it: {(campaign, representative): (Unix seconds,
    seconds to keep)}. The throttle rebuilds its spread keys from it after a Redis
    loss (delivery.throttle)."""
    campaigns = {
        c.id: c
        for c in db.session.execute(
            select(Campaign).where(Campaign.spread_until_close.is_(True))
        ).scalars()
    }
    if not campaigns:
        db.session.rollback()
        return {}
    day = int(current_app.config["THROTTLE_REP_DAY_SECONDS"])
    sending = Letter.state == LetterState.SENDING.value
    rows = db.session.execute(
        select(
            Letter.campaign_id,
            Letter.representative_id,
            func.max(Letter.sent_at),
            func.max(case((sending, 1), else_=0)),
        )
        .where(
            Letter.campaign_id.in_(list(campaigns)),
            or_(Letter.sent_at.is_not(None), sending),
        )
        .group_by(Letter.campaign_id, Letter.representative_id)
    ).all()
    db.session.rollback()
    lasts = {}
    for campaign_id, rep_id, sent_at, in_flight in rows:
        at = now_ts if in_flight or sent_at is None else sent_at.timestamp()
        end = campaigns[campaign_id].spread_end()
        left = max(0.0, end.timestamp() - now_ts) if end is not None else 0.0
        lasts[(campaign_id, rep_id)] = (at, int(left) + day + 60)
    return lasts
