"""Mail to supporters: the confirmation link and its one reminder."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale

from ..i18n import INTERFACE_LANGUAGES, SOURCE_LANGUAGE
from ..mail import OutgoingMessage, get_backend
from ..models import LetterState, Submission
from . import tokens
from .submissions import confirmation_deadline, with_letters
from .urls import public_url


def confirmation_message(submission: Submission, reminder: bool) -> OutgoingMessage:
    supporter = submission.supporter
    pending = [
        letter for letter in submission.letters if letter.state == LetterState.AWAITING_CONFIRMATION
    ]
    context = {
        "supporter_name": supporter.name,
        "campaign": submission.campaign,
        "letters": pending,
        "confirm_url": public_url(
            "supporters.confirm", token=tokens.make_token(tokens.CONFIRM, submission.id)
        ),
        "deadline": confirmation_deadline(submission),
        "reminder": reminder,
    }
    # In the language the supporter used on the site when they wrote.
    locale = supporter.locale if supporter.locale in INTERFACE_LANGUAGES else SOURCE_LANGUAGE
    with force_locale(locale):
        subject = render_template("email/confirm_subject.txt", **context).strip()
        text = render_template("email/confirm.txt", **context)
    return OutgoingMessage(
        to_email=supporter.email,
        to_name=supporter.name,
        from_email=current_app.config["MAIL_FROM"],
        from_name=current_app.config["MAIL_FROM_NAME"],
        subject=subject,
        text=text,
        kind="reminder" if reminder else "confirmation",
    )


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
