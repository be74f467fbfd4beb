"""The letters a digest carries move with the letter that carries it.

A digest (letters.digests) goes out as one mail through its *lead* letter: only
the lead is queued, taken, throttled (one message towards every cap and the
global rate), leased, fenced, journalled and retried, exactly as a single letter.
The digest's other letters wait `in_digest`; once the lead's outcome is recorded
they follow it here: sent with the lead's time and message id (so replies and
delivery events that name that id find every letter), failed with its reason,
cancelled with its campaign, held with its address. What moves them is the
outcome writer (delivery.outcomes) and, for a lead recorded by another path (the
send journal, a late result), the clock's sweep (letters.digests.gather).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from campaign.core.extensions import db
from campaign.delivery.letter_moves import move_letters
from campaign.models import Campaign, Digest, Letter, LetterState

S = LetterState
# What the members of a digest become when its lead is in this state.
_FOLLOW = {
    S.SENT: S.SENT,
    S.DELIVERED: S.SENT,
    S.BOUNCED: S.SENT,
    S.REPLIED: S.SENT,
    S.FAILED: S.FAILED,
    S.HELD_ADDRESS: S.HELD_ADDRESS,
}


def own_message():
    """SQL: the letter went (or goes) as a message of its own: a single letter, or
    the lead of a digest. A digest's other letters left inside the lead's message,
    so what counts messages (the throttle's windows, the sending rate) skips them."""
    lead_of_its_digest = (
        select(Digest.id)
        .where(Digest.id == Letter.digest_id, Digest.lead_letter_id == Letter.id)
        .exists()
    )
    return or_(Letter.digest_id.is_(None), lead_of_its_digest)


def is_lead(letter: Letter) -> bool:
    """Whether ``letter`` carries a digest (its mail is the digest's)."""
    digest = letter.digest if letter.digest_id is not None else None
    return digest is not None and digest.lead_letter_id == letter.id


def follow_leads(letter_ids: list[int], now: datetime) -> int:
    """Move the waiting members of the digests these letters lead the way their lead
    went (see _FOLLOW; cancelled only when the campaign's sending was cancelled: a
    lead withdrawn by its supporter hands the digest to another letter instead).
    Letters that lead nothing are ignored. The caller commits; returns how many
    letters moved."""
    if not letter_ids:
        return 0
    leads = db.session.execute(
        select(Letter.id, Letter.digest_id, Letter.state, Letter.sent_at)
        .add_columns(Letter.provider_message_id, Letter.last_error, Campaign.sending_status)
        .join(Digest, Digest.lead_letter_id == Letter.id)
        .join(Campaign, Campaign.id == Letter.campaign_id)
        .where(Letter.id.in_(letter_ids), Letter.digest_id == Digest.id)
    ).all()
    moved = 0
    for lead_id, digest_id, state, sent_at, message_id, error, status in leads:
        members = (Letter.digest_id == digest_id) & (Letter.id != lead_id)
        to = _FOLLOW.get(S(state))
        if S(state) == S.CANCELLED and status == "cancelled":
            to = S.CANCELLED
        if to is None:
            continue
        cause = f"went with its digest's lead letter ({state})"
        values: dict = {}
        if to == S.SENT:
            values = {"sent_at": sent_at or now, "provider_message_id": message_id}
        elif to == S.FAILED:
            values = {"last_error": error}
        moved += len(move_letters(members, S.IN_DIGEST, to, cause, now, **values))
        if to == S.HELD_ADDRESS:
            # Released later, each letter goes singly, the lead too: the digest is
            # dissolved, so that no letter is sent both in it and on its own.
            dissolve(digest_id)
    return moved


def dissolve(digest_id: int) -> None:
    """Make a digest's letters single letters again (they go, and count, each on its
    own); the digest keeps no lead. The caller commits."""
    db.session.execute(
        update(Letter)
        .where(Letter.digest_id == digest_id)
        .values(digest_id=None)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(update(Digest).where(Digest.id == digest_id).values(lead_letter_id=None))


def carried_by(letter: Letter) -> list[int]:
    """The ids of the letters whose fate a delivery event about ``letter`` tells:
    the letter, and the members of the digest it leads."""
    if not is_lead(letter):
        return [letter.id]
    members = db.session.execute(
        select(Letter.id).where(Letter.digest_id == letter.digest_id).order_by(Letter.id)
    ).scalars()
    return list(dict.fromkeys([letter.id, *members]))


def with_members(letter_ids: set[int]) -> set[int]:
    """``letter_ids`` and the letters of the digests any of them leads (for what a
    delivery event about a lead says of all of them)."""
    if not letter_ids:
        return set()
    led = select(Digest.id).where(Digest.lead_letter_id.in_(letter_ids))
    members = db.session.execute(select(Letter.id).where(Letter.digest_id.in_(led))).scalars()
    return set(letter_ids) | set(members)
