"""Moving letters between states in bulk, each move checked against the state
machine (models.letter.TRANSITIONS) and recorded as a LetterEvent. The lowest
module of delivery: the rest moves letters through it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update

from campaign.core.extensions import db
from campaign.models import Letter, LetterEvent, LetterState
from campaign.models.letter import TRANSITIONS


def record_events(moves: list[tuple[int, LetterState, LetterState, str]], now: datetime) -> None:
    """One LetterEvent per (letter id, from, to, cause), for state changes written in
    bulk; refuses a move the state machine does not allow. The caller commits."""
    if not moves:
        return
    for _, from_state, to_state, _ in moves:
        if to_state not in TRANSITIONS[from_state]:
            raise ValueError(f"{from_state} -> {to_state} is not an allowed move")
    db.session.execute(
        insert(LetterEvent),
        [
            {
                "letter_id": letter_id,
                "from_state": from_state.value,
                "to_state": to_state.value,
                "cause": cause[:500],
                "created_at": now,
            }
            for letter_id, from_state, to_state, cause in moves
        ],
    )


def move_letters(
    condition, from_state: LetterState, to_state: LetterState, cause: str, now: datetime, **values
) -> list[int]:
    """Move every letter matching ``condition`` that is still in ``from_state`` to
    ``to_state`` in one statement (setting ``values`` too), with an event for each;
    returns the ids moved. The caller commits."""
    moved = (
        db.session.execute(
            update(Letter)
            .where(condition, Letter.state == from_state.value)
            .values(state=to_state.value, updated_at=now, **values)
            .returning(Letter.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    record_events([(i, from_state, to_state, cause) for i in moved], now)
    return moved
