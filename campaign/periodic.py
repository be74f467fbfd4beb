"""Periodic housekeeping. Each function is safe to run at any time, by any
number of processes at once: it takes a lock in Redis and its updates are
conditional on the state it found."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import timedelta

from flask import current_app
from redis.exceptions import LockError

from campaign.core.extensions import db
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit, redis_connection
from campaign.delivery import address_holds
from campaign.models import Letter, LetterState, Submission
from campaign.models.base import utcnow
from campaign.supporters import privacy
from campaign.tracking import events, rollups, surveys


@contextmanager
def exclusive(name: str, ttl_seconds: int = 300):
    """Run the body in one process at a time across all machines; yields whether
    this process holds the lock (the body should do nothing when it does not)."""
    lock = redis_connection().lock(f"campaign:lock:{name}", timeout=ttl_seconds, blocking=False)
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            # The lock may have expired meanwhile: then there is nothing to release.
            with suppress(LockError):
                lock.release()


def send_reminders() -> int:
    """One reminder per unconfirmed submission, REMINDER_AFTER_HOURS after it was made."""
    from campaign.supporters.tasks import send_confirmation

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
            enqueue_after_commit(NOTIFICATIONS, send_confirmation, submission.id, True)
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
        db.session.commit()
        return len(letters)


def reconcile_letters() -> int:
    """Letters left behind by a killed worker or a Redis that forgot go on (delivery.reconcile)."""
    from campaign.delivery.reconcile import reconcile

    return reconcile()


# name -> (function, interval in seconds). The clock process runs these.
PERIODIC: dict[str, tuple[Callable[[], int], int]] = {
    "send_reminders": (send_reminders, 300),
    "expire_unconfirmed": (expire_unconfirmed, 900),
    "reconcile_letters": (reconcile_letters, 60),
    # Held letters whose representative's address was corrected by an import.
    "release_held_letters": (address_holds.release_job, 300),
    # Retention (supporters.privacy; docs/privacy.md).
    "remove_old_letter_texts": (privacy.remove_old_letter_texts, 3600),
    "anonymise_inactive_supporters": (privacy.anonymise_inactive_supporters, 3600),
    "clear_old_ip_hashes": (privacy.clear_old_ip_hashes, 900),
    # Replies, surveys and reports (docs/architecture/tracking.md).
    "send_surveys": (surveys.send_surveys_job, 3600),
    "send_survey_reminders": (surveys.send_survey_reminders_job, 3600),
    "reconcile_tracking": (events.reconcile_job, 300),
    "refresh_response_rollups": (rollups.refresh_job, 60),
    "rebuild_response_rollups": (rollups.rebuild_job, 86400),
}
