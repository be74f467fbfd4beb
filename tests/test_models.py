"""The letter state machine and immutable template versions."""

import pytest

from campaign.core.extensions import db
from campaign.models import Letter, LetterState, TemplateVersion
from campaign.models.letter import FINAL_STATES, TRANSITIONS, InvalidTransition

from . import flow


def test_state_machine_matches_the_architecture():
    S = LetterState
    assert TRANSITIONS[S.AWAITING_CONFIRMATION] == {
        S.QUEUED,
        S.AWAITING_DIGEST,
        S.HELD,
        S.EXPIRED,
        S.CANCELLED,
    }
    assert TRANSITIONS[S.IN_DIGEST] == {S.QUEUED, S.SENT, S.FAILED, S.HELD_ADDRESS, S.CANCELLED}
    assert TRANSITIONS[S.SENDING] == {S.QUEUED, S.SENT, S.FAILED, S.CANCELLED}
    assert FINAL_STATES == {S.BOUNCED, S.REPLIED, S.FAILED, S.CANCELLED, S.EXPIRED, S.REJECTED}


def test_invalid_transition_is_refused_and_recorded_moves_are_kept(seeded, client):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    letter = db.session.execute(db.select(Letter)).scalar_one()
    with pytest.raises(InvalidTransition):
        letter.transition(LetterState.SENT, "skipping ahead")
    letter.transition(LetterState.QUEUED, "confirmed")
    db.session.commit()
    assert [(e.from_state, e.to_state) for e in letter.events] == [
        (None, "awaiting_confirmation"),
        ("awaiting_confirmation", "queued"),
    ]
    assert all(e.created_at.tzinfo is not None for e in letter.events)


def test_template_versions_are_immutable(seeded):
    version = db.session.execute(db.select(TemplateVersion).limit(1)).scalar_one()
    version.body = "rewritten"
    with pytest.raises(ValueError, match="immutable"):
        db.session.commit()
    db.session.rollback()


def test_database_refuses_an_unknown_state(seeded, client):
    from sqlalchemy.exc import IntegrityError

    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    letter = db.session.execute(db.select(Letter)).scalar_one()
    letter.state = "teleported"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
