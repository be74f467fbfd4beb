"""Helpers for the tests of held letters and offices' requests: queued letters to
the demo representatives, a bounce through the signed events webhook."""

from __future__ import annotations

from campaign.core.extensions import db
from campaign.models import Letter, LetterState, Representative

from . import tracking_helpers as th


def queue_letters(reps: list[Representative], state=LetterState.QUEUED) -> list[Letter]:
    """One new supporter's confirmed letters to ``reps``, queued (or in ``state``)."""
    letters = th.new_letters(reps, None, "Alesia Bialiatskaja", LetterState.AWAITING_CONFIRMATION)
    for letter in letters:
        letter.fair_rank = 1
        letter.transition(state, "confirmed")
    db.session.commit()
    return letters


def bounce(client, private, letter: Letter, reason: str = "550 5.1.1 user unknown"):
    """A hard bounce of ``letter`` through the signed events webhook."""
    response = th.post_events(
        client, private, [th.event(letter, "bounce", type="bounce", reason=reason)]
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def states_of(letters) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Letter, x.id).state for x in letters]
