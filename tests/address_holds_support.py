"""Helpers for the tests of held letters and offices' requests: queued letters to
the demo representatives, a bounce through the signed events webhook."""

from __future__ import annotations

import secrets

from campaign.extensions import db
from campaign.models import (
    Campaign,
    Letter,
    LetterState,
    LetterTemplate,
    Representative,
    Submission,
    Supporter,
)
from campaign.models.base import utcnow

from . import tracking_helpers as th


def queue_letters(reps: list[Representative], state=LetterState.QUEUED) -> list[Letter]:
    """One new supporter's confirmed letters to ``reps``, queued (or in ``state``)."""
    campaign = db.session.execute(db.select(Campaign).order_by(Campaign.id)).scalars().first()
    supporter = Supporter(
        email=f"supporter-{secrets.token_hex(4)}@example.org", name="Alesia Bialiatskaja"
    )
    submission = Submission(campaign=campaign, supporter=supporter, confirmed_at=utcnow())
    db.session.add_all([supporter, submission])
    db.session.flush()
    letters = []
    for rep in reps:
        template = db.session.execute(
            db.select(LetterTemplate).filter_by(
                campaign_id=campaign.id, language=rep.language, body_kind=rep.body.kind
            )
        ).scalar_one()
        letter = Letter(
            campaign_id=campaign.id,
            submission_id=submission.id,
            supporter_id=supporter.id,
            representative_id=rep.id,
            template_version_id=template.published_version_id,
            language=rep.language,
            subject="The time for release is now",
            body=f"Dear {rep.name}, please act.",
            fair_rank=1,
            state=LetterState.AWAITING_CONFIRMATION.value,
        )
        db.session.add(letter)
        db.session.flush()
        letter.transition(state, "confirmed")
        letters.append(letter)
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
