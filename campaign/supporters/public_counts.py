"""The landing page's counters: how many people have written, how many letters
went out. Counted in the database, kept in Redis for a minute so a busy landing
page does not count on every visit."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

from flask import current_app
from redis.exceptions import RedisError

from campaign.core.extensions import db
from campaign.core.queues import redis_connection
from campaign.models import Campaign, Letter, LetterState, Submission

# A letter "went out" once the provider accepted it; what happened after does not undo that.
WENT_OUT = (LetterState.SENT, LetterState.DELIVERED, LetterState.REPLIED)
DEFAULT_TTL_SECONDS = 60

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublicCounts:
    writers: int  # supporters who confirmed at least one letter
    letters_sent: int


def count(campaign: Campaign) -> PublicCounts:
    """Count now, in the database."""
    writers = db.session.execute(
        db.select(db.func.count(db.distinct(Submission.supporter_id))).filter(
            Submission.campaign_id == campaign.id, Submission.confirmed_at.is_not(None)
        )
    ).scalar_one()
    letters_sent = db.session.execute(
        db.select(db.func.count(Letter.id)).filter(
            Letter.campaign_id == campaign.id, Letter.state.in_([s.value for s in WENT_OUT])
        )
    ).scalar_one()
    return PublicCounts(writers=writers, letters_sent=letters_sent)


def public_counts(campaign: Campaign) -> PublicCounts:
    """The counts, at most PUBLIC_COUNTS_CACHE_SECONDS old. Without Redis they are
    counted afresh: the landing page never fails for want of a cache."""
    ttl = int(current_app.config.get("PUBLIC_COUNTS_CACHE_SECONDS", DEFAULT_TTL_SECONDS))
    key = f"campaign:{campaign.id}:public-counts"
    try:
        cached = redis_connection().get(key) if ttl > 0 else None
    except RedisError:
        log.warning("public counts: Redis unavailable, counting in the database")
        return count(campaign)
    if cached:
        return PublicCounts(**json.loads(cached))
    counts = count(campaign)
    if ttl > 0:
        try:
            redis_connection().set(key, json.dumps(asdict(counts)), ex=ttl)
        except RedisError:
            log.warning("public counts: could not cache in Redis")
    return counts
