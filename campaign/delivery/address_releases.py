"""Held letters go back to the queue once their representative is no longer blocked
(address_holds says who is), and the dispatcher is woken for them. Apart from
address_holds because the dispatcher holds letters through it: releasing wakes the
dispatcher, and the dispatcher must not import what wakes it."""

from __future__ import annotations

from sqlalchemy import select

from campaign.core.extensions import db
from campaign.delivery import letter_moves, queueing
from campaign.delivery.address_holds import blocked
from campaign.models import Campaign, Letter, LetterState
from campaign.models.base import utcnow

S = LetterState


def release(representative_id: int | None, cause: str) -> int:
    """Queue again the held letters of the representative (of every representative
    when None) who is no longer blocked; wakes the dispatcher after the commit.
    Returns how many. The caller commits."""
    query = (
        select(Letter.id, Letter.representative_id, Campaign.sending_status)
        .join(Campaign, Campaign.id == Letter.campaign_id)
        .where(Letter.state == S.HELD_ADDRESS.value)
    )
    if representative_id is not None:
        query = query.where(Letter.representative_id == representative_id)
    rows = db.session.execute(query).all()
    if not rows:
        return 0
    still = blocked({rep_id for _, rep_id, _ in rows})
    now = utcnow()
    # A campaign whose sending was cancelled meanwhile sends none of them.
    _cancel_ids(
        [i for i, rep_id, status in rows if rep_id not in still and status == "cancelled"],
        "the campaign's sending was cancelled",
        now,
    )
    ids = [i for i, rep_id, status in rows if rep_id not in still and status != "cancelled"]
    if not ids:
        return 0
    moved = letter_moves.move_letters(
        Letter.id.in_(ids), S.HELD_ADDRESS, S.QUEUED, cause, now, next_attempt_at=None
    )
    if moved:
        queueing.wake_after_commit(len(moved))
    return len(moved)


def _cancel_ids(letter_ids: list[int], cause: str, now) -> None:
    if not letter_ids:
        return
    letter_moves.move_letters(Letter.id.in_(letter_ids), S.HELD_ADDRESS, S.CANCELLED, cause, now)


def release_job() -> int:
    """Periodic: letters whose representative was unblocked by a path that does not
    release them itself (an import that changed the address) go on. Commits."""
    released = release(None, "released: the representative's address changed")
    db.session.commit()
    return released
