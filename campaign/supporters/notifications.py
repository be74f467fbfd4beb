"""Mail to supporters: the confirmation link and its one reminder."""

from __future__ import annotations

from campaign.core import tokens
from campaign.core.mail import OutgoingMessage, get_backend
from campaign.core.queues import job
from campaign.core.urls import public_url
from campaign.models import LetterState, Submission
from campaign.people import directory
from campaign.supporters.confirmation import confirmation_deadline, with_letters
from campaign.supporters.supporter_mail import supporter_message


def confirmation_message(submission: Submission, reminder: bool) -> OutgoingMessage:
    supporter = submission.supporter
    address = directory.address_args(submission.campaign)
    pending = [
        letter for letter in submission.letters if letter.state == LetterState.AWAITING_CONFIRMATION
    ]
    context = {
        "supporter_name": supporter.name,
        "campaign": submission.campaign,
        "letters": pending,
        "confirm_url": public_url(
            "supporters.confirm",
            token=tokens.make_token(tokens.CONFIRM, submission.id),
            **address,
        ),
        "status_url": public_url(
            "supporters.status", token=tokens.make_token(tokens.STATUS, submission.id), **address
        ),
        "deadline": confirmation_deadline(submission),
        "reminder": reminder,
    }
    # In the language the supporter used on the site when they wrote.
    return supporter_message(
        supporter, "confirm", "reminder" if reminder else "confirmation", **context
    )


def _confirmed_letters(submission: Submission) -> list:
    return [
        letter
        for letter in submission.letters
        if letter.state not in (LetterState.AWAITING_CONFIRMATION, LetterState.EXPIRED)
        and letter.text_removed_at is None
    ]


def copy_message(submission: Submission) -> OutgoingMessage:
    """Every confirmed letter of the submission exactly as it goes out."""
    supporter = submission.supporter
    sent = _confirmed_letters(submission)
    context = {
        "supporter_name": supporter.name,
        "campaign": submission.campaign,
        "letters": sent,
        "status_url": public_url(
            "supporters.status",
            token=tokens.make_token(tokens.STATUS, submission.id),
            **directory.address_args(submission.campaign),
        ),
    }
    return supporter_message(supporter, "copy", "copy", **context)


def send_copy(submission_id: int) -> bool:
    """Mail the supporter a copy of their confirmed letters (asked for on the form).
    Returns False, sending nothing, when the submission or its texts are gone."""
    submission = with_letters(submission_id)
    if submission is None or not submission.wants_copy:
        return False
    if not _confirmed_letters(submission):
        return False
    get_backend().send(copy_message(submission))
    return True


def send_confirmation(submission_id: int, reminder: bool = False) -> bool:
    """Mail the confirmation link (or the reminder). Does nothing, and returns False,
    when no letter of the submission still awaits confirmation."""
    submission = with_letters(submission_id)
    if submission is None:
        return False
    if not any(letter.state == LetterState.AWAITING_CONFIRMATION for letter in submission.letters):
        return False
    get_backend().send(confirmation_message(submission, reminder))
    return True


# The jobs (core.queues.job): beside the functions they run, which submissions and
# the reminders enqueue.
@job
def send_confirmation_job(submission_id: int, reminder: bool = False) -> bool:
    return send_confirmation(submission_id, reminder)


@job
def send_copy_job(submission_id: int) -> bool:
    return send_copy(submission_id)
