"""A submission as its confirmation mail and pages read it, and until when its
confirmation link works."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import joinedload

from campaign.core.extensions import db
from campaign.models import Letter, Representative, Submission
from campaign.models.base import utcnow


def with_letters(submission_id: int) -> Submission | None:
    """The submission with its supporter, campaign, letters and their representatives
    and bodies, in one query: what the confirmation mail and pages show."""
    return db.session.get(
        Submission,
        submission_id,
        options=(
            joinedload(Submission.supporter),
            joinedload(Submission.campaign),
            joinedload(Submission.letters)
            .joinedload(Letter.representative)
            .joinedload(Representative.body),
        ),
    )


def confirmation_deadline(submission: Submission):
    return submission.created_at + timedelta(days=current_app.config["CONFIRMATION_MAX_AGE_DAYS"])


def is_expired(submission: Submission) -> bool:
    return utcnow() >= confirmation_deadline(submission)
