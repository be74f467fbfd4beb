"""The link to a submission's status page: how long it works, and a fresh one by email.

A status link works until STATUS_LINK_MAX_AGE_DAYS after the later of two times:
when the link was issued, and when the submission's last letter was finished
(nothing more will be sent: privacy.FINISHED). So the link from the confirmation
keeps working while letters travel, and a freshly mailed one works for the full
period. A deleted supporter's links show nothing of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from campaign.core import tokens
from campaign.core.extensions import db
from campaign.core.mail import OutgoingMessage, get_backend
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit, job
from campaign.core.urls import public_url
from campaign.models import Letter, LetterEvent, Submission, Supporter
from campaign.models.base import utcnow
from campaign.people import directory
from campaign.supporters import confirmation, privacy
from campaign.supporters.supporter_mail import supporter_message


class SupporterGone(LookupError):
    """The submission, or its supporter's data, no longer exists."""


def finished_at(submission: Submission) -> datetime | None:
    """When the submission's last letter was finished; None while one still travels."""
    if any(letter.state not in privacy.FINISHED for letter in submission.letters):
        return None
    last = db.session.execute(
        db.select(db.func.max(LetterEvent.created_at))
        .join(Letter, Letter.id == LetterEvent.letter_id)
        .where(Letter.submission_id == submission.id)
    ).scalar_one()
    return last or submission.created_at


def expires_at(submission: Submission, issued_at: datetime) -> datetime | None:
    """When a status link issued at ``issued_at`` stops working (None: not yet known)."""
    finished = finished_at(submission)
    if finished is None:
        return None
    max_age = timedelta(days=current_app.config["STATUS_LINK_MAX_AGE_DAYS"])
    return max(issued_at, finished) + max_age


def status_token(submission_id: int) -> str:
    return tokens.make_token(tokens.STATUS, submission_id)


def read_status_link(token: str) -> Submission:
    """The submission a genuine, unexpired status link names. Raises
    tokens.InvalidToken for a damaged link, tokens.ExpiredToken past its time,
    SupporterGone when the letters or the supporter's data were deleted."""
    submission_id, issued_at = tokens.read_token_issued(tokens.STATUS, token)
    submission = confirmation.with_letters(submission_id)
    if submission is None or submission.supporter.anonymised_at is not None:
        raise SupporterGone("these letters no longer exist")
    ends = expires_at(submission, issued_at)
    if ends is not None and utcnow() >= ends:
        raise tokens.ExpiredToken("this link has expired")
    return submission


# -- a fresh link by email ------------------------------------------------------------


def request_status_links(email: str) -> None:
    """Mail fresh status links to ``email`` if a supporter has it; do the same amount
    of work either way, so nobody can learn whether it exists."""
    supporter = privacy.find_supporter(email)
    enqueue_after_commit(NOTIFICATIONS, send_status_links_job, supporter.id if supporter else None)
    db.session.commit()


def status_links_message(supporter: Supporter) -> OutgoingMessage | None:
    found = db.session.execute(
        db.select(Submission)
        .filter(Submission.supporter_id == supporter.id, Submission.confirmed_at.is_not(None))
        .order_by(Submission.created_at.desc())
    ).scalars()
    links = [
        {
            "written_at": submission.created_at.date().isoformat(),
            "url": public_url(
                "supporters.status",
                token=status_token(submission.id),
                **directory.address_args(submission.campaign),
            ),
        }
        for submission in found
    ]
    if not links:
        return None
    return supporter_message(
        supporter,
        "status_links",
        "status-links",
        supporter_name=supporter.name,
        links=links,
        days=current_app.config["STATUS_LINK_MAX_AGE_DAYS"],
    )


def send_status_links(supporter_id: int | None) -> bool:
    """Mail the supporter fresh links to their confirmed letters' status pages;
    False when there is nobody (or nothing) to mail."""
    supporter = db.session.get(Supporter, supporter_id) if supporter_id else None
    if supporter is None or supporter.anonymised_at is not None:
        return False
    message = status_links_message(supporter)
    if message is None:
        return False
    get_backend().send(message)
    return True


@job
def send_status_links_job(supporter_id: int | None) -> bool:
    return send_status_links(supporter_id)
