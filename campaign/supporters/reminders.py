"""The confirmation reminder, and the expiry of letters never confirmed. Run by the
clock (campaign.periodic); each is safe to run by any number of processes at once."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from campaign.core.extensions import db
from campaign.core.locks import exclusive
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit
from campaign.models import Letter, LetterState, Submission
from campaign.models.base import utcnow
from campaign.supporters import notifications, similarity


def send_reminders() -> int:
    """One reminder per unconfirmed submission, REMINDER_AFTER_HOURS after it was made."""
    with exclusive("reminders") as mine:
        if not mine:
            return 0
        now = utcnow()
        due = now - timedelta(hours=current_app.config["REMINDER_AFTER_HOURS"])
        not_expired = now - timedelta(days=current_app.config["CONFIRMATION_MAX_AGE_DAYS"])
        submissions = (
            db.session.execute(
                db.select(Submission)
                .filter(
                    Submission.confirmed_at.is_(None),
                    Submission.reminded_at.is_(None),
                    Submission.created_at <= due,
                    Submission.created_at > not_expired,
                    Submission.letters.any(Letter.state == LetterState.AWAITING_CONFIRMATION.value),
                )
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        for submission in submissions:
            submission.reminded_at = now
            enqueue_after_commit(
                NOTIFICATIONS, notifications.send_confirmation_job, submission.id, True
            )
        db.session.commit()
        return len(submissions)


def expire_unconfirmed() -> int:
    """Letters still awaiting confirmation when their link has expired become `expired`."""
    with exclusive("expiry") as mine:
        if not mine:
            return 0
        cutoff = utcnow() - timedelta(days=current_app.config["CONFIRMATION_MAX_AGE_DAYS"])
        letters = (
            db.session.execute(
                db.select(Letter)
                .join(Submission, Letter.submission_id == Submission.id)
                .filter(
                    Letter.state == LetterState.AWAITING_CONFIRMATION.value,
                    Submission.created_at <= cutoff,
                )
                .with_for_update(of=Letter, skip_locked=True)
            )
            .scalars()
            .all()
        )
        for letter in letters:
            letter.transition(LetterState.EXPIRED, "not confirmed in time")
        # Their paragraphs were never compared against; their signatures go now.
        similarity.forget_letters([letter.id for letter in letters])
        db.session.commit()
        return len(letters)
