"""Hold rules: submissions that look like one sender posing as many wait for staff.

A submission remembers two keyed hashes of where it came from (never the address
itself): its client address and its network (/24 for IPv4, /48 for IPv6). When it
is made, two rules look back at other submissions:

* one address, many senders: more than HOLD_ADDRESSES_PER_IP different email
  addresses from one client address within HOLD_ADDRESSES_WINDOW_HOURS;
* a burst from one network: more than HOLD_NETWORK_BURST submissions from one
  network within HOLD_NETWORK_BURST_MINUTES.

A submission that trips a rule keeps the reason; once confirmed, its letters
become `held` instead of `queued`, and staff release or reject them. The hashes
are cleared after IP_HASH_RETENTION_HOURS (supporters.privacy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from campaign.core import limits
from campaign.core.extensions import db
from campaign.models import Letter, LetterState, Submission
from campaign.models.base import utcnow


@dataclass(frozen=True)
class Origin:
    """Where a submission came from, as keyed hashes only."""

    ip_hash: str
    network_hash: str


def origin_of(address: str | None) -> Origin:
    """Hash a client address (the view passes request.remote_addr)."""
    return Origin(ip_hash=limits.ip_hash(address), network_hash=limits.network_hash(address))


def _threshold(name: str) -> int:
    config = current_app.config
    return math.ceil(config[name] * config.get("ABUSE_LIMITS_FACTOR", 1.0))


def hold_reason(origin: Origin, supporter_id: int | None) -> str | None:
    """Why a new submission from ``origin`` by ``supporter_id`` should wait for
    review, or None. Counts the submissions made before it (it is not added yet)."""
    config = current_app.config
    now = utcnow()
    window = now - timedelta(hours=config["HOLD_ADDRESSES_WINDOW_HOURS"])
    burst_start = now - timedelta(minutes=config["HOLD_NETWORK_BURST_MINUTES"])
    same_address = Submission.ip_hash == origin.ip_hash
    same_network = Submission.network_hash == origin.network_hash
    # Both rules in one query (one round trip per submission).
    others, recent = db.session.execute(
        db.select(
            db.func.count(db.distinct(Submission.supporter_id)).filter(
                same_address,
                Submission.created_at > window,
                Submission.supporter_id != (supporter_id or 0),
            ),
            db.func.count(Submission.id).filter(same_network, Submission.created_at > burst_start),
        ).where(
            db.or_(same_address, same_network), Submission.created_at > min(window, burst_start)
        )
    ).one()

    addresses = others + 1
    if addresses > _threshold("HOLD_ADDRESSES_PER_IP"):
        return (
            f"one client address sent for {addresses} email addresses within "
            f"{config['HOLD_ADDRESSES_WINDOW_HOURS']} hours"
        )
    if recent + 1 > _threshold("HOLD_NETWORK_BURST"):
        return (
            f"{recent + 1} submissions from one network within "
            f"{config['HOLD_NETWORK_BURST_MINUTES']} minutes"
        )
    return None


# -- staff review ---------------------------------------------------------------------


def held_submissions(limit: int = 200) -> list[Submission]:
    """Submissions with at least one held letter, oldest first."""
    return list(
        db.session.execute(
            db.select(Submission)
            .filter(Submission.letters.any(Letter.state == LetterState.HELD.value))
            .order_by(Submission.confirmed_at, Submission.id)
            .limit(limit)
        ).scalars()
    )


def _held_letters(submission_id: int) -> list[Letter]:
    return list(
        db.session.execute(
            db.select(Letter)
            .filter(Letter.submission_id == submission_id, Letter.state == LetterState.HELD.value)
            .order_by(Letter.id)
            .with_for_update()
        ).scalars()
    )


def release(submission_id: int, reviewer: str) -> int:
    """Queue the submission's held letters; the sending side hears of them once this
    is committed. Returns how many were released (0 when another reviewer was first)."""
    from campaign.delivery import queueing

    letters = _held_letters(submission_id)
    cause = f"released by staff ({reviewer})"[:450]
    for letter in letters:
        if not queueing.to_digest(letter, cause):
            letter.transition(LetterState.QUEUED, cause)
    queueing.queue_letters(letters)
    db.session.commit()
    return len(letters)


def reject(submission_id: int, reviewer: str) -> int:
    """Reject the submission's held letters: they are never sent. Returns how many."""
    letters = _held_letters(submission_id)
    for letter in letters:
        letter.transition(LetterState.REJECTED, f"rejected by staff ({reviewer})"[:500])
    db.session.commit()
    return len(letters)
