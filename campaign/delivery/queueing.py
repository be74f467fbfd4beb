"""Putting letters in the queue: letters moved to `queued` are made due, given their
place in the fair order (delivery.rank_letters) and the dispatcher is woken once the
caller commits (dispatch.kick). Above delivery.py and dispatch.py, which never import
it, so that waking the dispatcher does not tie them in a circle."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update

from campaign.core.extensions import db
from campaign.core.queues import call_after_commit, job
from campaign.delivery import delivery, dispatch
from campaign.models import Letter, LetterState
from campaign.models.base import utcnow

S = LetterState


def queue_letters(letters: Iterable[Letter]) -> None:
    """Make letters that were just moved to `queued` (in the caller's transaction)
    due now, give them their place in the fair order, and wake the dispatcher once
    the caller commits. The caller commits."""
    letters = [letter for letter in letters if letter.state == S.QUEUED]
    if not letters:
        return
    now = utcnow()
    for letter in letters:
        letter.next_attempt_at = now
    db.session.flush()
    delivery.rank_letters([letter.id for letter in letters])
    wake_after_commit(len(letters))


def letters_queued(letter_ids: Iterable[int]) -> int:
    """For letters moved to `queued` elsewhere (a staff release, an older job): make
    the unscheduled ones due now, rank the unranked ones, commit, wake the dispatcher.
    Returns how many of them are queued."""
    ids = list(letter_ids)
    if not ids:
        return 0
    now = utcnow()
    db.session.execute(
        update(Letter)
        .where(Letter.id.in_(ids), Letter.state == S.QUEUED.value, Letter.next_attempt_at.is_(None))
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    delivery.rank_letters(ids)
    queued = db.session.execute(
        select(func.count()).where(Letter.id.in_(ids), Letter.state == S.QUEUED.value)
    ).scalar_one()
    if queued:
        wake_after_commit(queued)
    db.session.commit()
    return queued


def queue_confirmed(letters: list[Letter], cause: str) -> None:
    """Move letters awaiting confirmation to `queued`, due now, each in its place in
    the fair order (see rank_letters), and wake the dispatcher once the caller
    commits. Loaded letters, in id order; written with the caller's next flush."""
    letters = [letter for letter in letters if not to_digest(letter, cause)]
    if not letters:
        return
    with db.session.no_autoflush:
        ranks = delivery.next_ranks([letter.representative_id for letter in letters])
    now = utcnow()
    for letter, rank in zip(letters, ranks, strict=True):
        letter.transition(S.QUEUED, cause)
        letter.next_attempt_at = now
        letter.fair_rank = rank
    wake_after_commit(len(letters))


def to_digest(letter: Letter, cause: str) -> bool:
    """Move a confirmed (or released) letter to `awaiting_digest` instead of the
    queue when its campaign sends digests to its representative's kind of body and
    it has its digest entry (letters.digests); returns whether it did."""
    kind = letter.representative.body.kind
    if letter.digest_entry is None or letter.campaign.digest_every(kind) is None:
        return False
    letter.transition(S.AWAITING_DIGEST, f"{cause}; waits for the day's digest")
    return True


def wake_after_commit(letters: int = 1) -> None:
    call_after_commit(lambda: dispatch.kick(letters))


@job
def send_letter(letter_id: int) -> int:
    """A letter was moved to `queued`: see that it is scheduled and ranked, and wake
    the dispatcher, which sends it in its turn. For code that enqueues a letter by id;
    safe to run any number of times."""
    return letters_queued([letter_id])
