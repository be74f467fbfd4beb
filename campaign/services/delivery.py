"""Send one letter: take it with a compare-and-set, hand it to the mail backend,
record the outcome. Safe to run twice for the same letter."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..mail import OutgoingMessage, PermanentMailError, TransientMailError, get_backend
from ..models import Letter, LetterEvent, LetterState
from ..models.base import utcnow

log = logging.getLogger(__name__)


def take_letter(letter_id: int) -> bool:
    """Move a letter from `queued` to `sending` with a lease, as a compare-and-set:
    of two workers holding the same job, exactly one wins. (An expired lease is
    returned to `queued` by the reconciler, never taken over here.) Commits;
    returns whether this caller won."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["SENDING_LEASE_SECONDS"])
    result = db.session.execute(
        update(Letter)
        .where(Letter.id == letter_id, Letter.state == LetterState.QUEUED.value)
        .values(state=LetterState.SENDING.value, lease_until=lease, attempts=Letter.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.add(
        LetterEvent(letter_id=letter_id, from_state="queued", to_state="sending", cause="taken by a worker")
    )
    db.session.commit()
    return True


def letter_message(letter: Letter) -> OutgoingMessage:
    """The letter as mail: from the campaign's address in the supporter's name,
    replies to the supporter, only the letter id as a custom argument."""
    config = current_app.config
    return OutgoingMessage(
        to_email=letter.representative.email,
        to_name=letter.representative.name,
        from_email=config["MAIL_FROM"],
        from_name=letter.supporter.name,
        reply_to_email=letter.supporter.email,
        reply_to_name=letter.supporter.name,
        subject=letter.subject,
        text=letter.body,
        custom_args={"letter_id": str(letter.id)},
        kind="letter",
    )


def retry_delay(attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, or the provider's own reset time."""
    if retry_after is not None:
        return retry_after + random.uniform(0, 1)
    base = current_app.config["SEND_RETRY_BASE_SECONDS"]
    cap = current_app.config["SEND_RETRY_MAX_SECONDS"]
    return random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1)))


def send_letter(letter_id: int) -> str:
    """Deliver one letter. Returns what happened: "sent", "retry", "failed" or
    "skipped" (another worker has it, or it is no longer queued)."""
    if not take_letter(letter_id):
        return "skipped"
    letter = db.session.get(Letter, letter_id)
    try:
        provider_id = get_backend().send(letter_message(letter))
    except TransientMailError as exc:
        if letter.attempts >= current_app.config["MAX_SEND_ATTEMPTS"]:
            return _fail(letter, f"gave up after {letter.attempts} attempts: {exc}")
        delay = retry_delay(letter.attempts, exc.retry_after)
        letter.last_error = str(exc)
        letter.lease_until = None
        letter.transition(LetterState.QUEUED, f"retry in {delay:.0f}s: {exc}")
        from ..tasks.letters import send_letter as send_letter_job
        from ..tasks.queues import LETTERS, enqueue_after_commit

        enqueue_after_commit(LETTERS, send_letter_job, letter.id, delay=delay)
        db.session.commit()
        return "retry"
    except PermanentMailError as exc:
        return _fail(letter, str(exc))
    letter.provider_message_id = provider_id or None
    letter.sent_at = utcnow()
    letter.lease_until = None
    letter.last_error = None
    letter.transition(LetterState.SENT, "accepted by the mail provider")
    db.session.commit()
    log.info("letter %s sent", letter.id)
    return "sent"


def _fail(letter: Letter, reason: str) -> str:
    letter.last_error = reason
    letter.lease_until = None
    letter.transition(LetterState.FAILED, reason[:500])
    db.session.commit()
    log.warning("letter %s failed: %s", letter.id, reason)
    return "failed"
