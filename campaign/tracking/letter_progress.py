"""How a sent letter moves forward, shared by everything that learns of its fate
(delivery events, replies, surveys, responses staff log, the catch-up): only
forward, sent -> delivered -> bounced or replied, never back; and an address that
bounced is flagged, which holds the representative's letters."""

from __future__ import annotations

from sqlalchemy import select, update

from campaign.core.extensions import db
from campaign.delivery import address_holds
from campaign.models import AddressFlag, Letter, LetterEvent, LetterState, Representative
from campaign.models.base import utcnow
from campaign.models.letter import TRANSITIONS

# The states a letter moves forward from.
FORWARD_FROM = (LetterState.SENT, LetterState.DELIVERED)


def advance_letter(letter_id: int, target: LetterState, cause: str) -> bool:
    """Move a sent (or delivered) letter forward to ``target`` with a
    compare-and-set, recording why. Does nothing, and returns False, when the
    letter is elsewhere (not sent yet, or already further). The caller commits."""
    for current in FORWARD_FROM:
        if target not in TRANSITIONS[current]:
            continue
        result = db.session.execute(
            update(Letter)
            .where(Letter.id == letter_id, Letter.state == current.value)
            .values(state=target.value, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        if result.rowcount == 1:
            db.session.add(
                LetterEvent(
                    letter_id=letter_id,
                    from_state=current.value,
                    to_state=target.value,
                    cause=cause[:500],
                )
            )
            return True
    return False


def flag_address(representative_id: int, email: str, reason: str, source: str) -> None:
    """Flag a representative's address as undeliverable (hard bounce or drop);
    a flag that was resolved opens again. While the flag is open and the
    representative still has that address, their queued letters wait in
    `held_address` (delivery.address_holds). The caller commits."""
    email = (email or "").strip().lower()[:320]
    if not email:
        return
    now = utcnow()
    values = {
        "representative_id": representative_id,
        "email": email,
        "reason": reason[:500],
        "source": source,
        "created_at": now,
        "last_seen_at": now,
    }
    stmt = dialect_insert(AddressFlag).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["representative_id", "email"],
        set_={"reason": values["reason"], "last_seen_at": now, "resolved_at": None},
    )
    db.session.execute(stmt)
    current = db.session.execute(
        select(Representative.email).where(Representative.id == representative_id)
    ).scalar()
    if (current or "").strip().lower() == email:
        address_holds.hold_representative(
            representative_id, f"held: the address bounced ({source})"
        )


def dialect_insert(model):
    """INSERT … ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)
