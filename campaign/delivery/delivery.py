"""A letter's way from `queued` to `sent` (or `failed`), safe against duplicate jobs,
killed workers and a Redis that forgets everything.

* Queueing: a letter is committed as `queued` with the time it may go
  (``next_attempt_at``) and its place in the fair order (``fair_rank``); only after
  the commit is the dispatcher woken (delivery.dispatch). The database is the queue:
  Redis only carries wake-ups, so nothing queued is lost with it.
* Taking: `queued -> sending` is a compare-and-set on the state that also sets a
  lease and counts the attempt; of two workers that want a letter, one wins.
* Recording: an outcome is written only if the letter is still `sending` under the
  same attempt (the attempt number is the lease's token), so a late or duplicate
  worker never overwrites what another recorded (delivery.outcomes).
* The send journal: the moment SendGrid (or SMTP) accepts a letter, its id and the
  provider's message id go to Redis, before the database write that follows; if
  the worker dies in between, the reconciler finds the journal entry and records the
  letter as sent instead of sending it again (docs/architecture/delivery.md).

Every state change is recorded as a LetterEvent, with the moves the state machine
in models.letter allows.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, select, tuple_, update

from campaign.core.extensions import db
from campaign.core.mail import OutgoingMessage
from campaign.core.queues import redis_connection
from campaign.delivery import digest_members
from campaign.delivery.letter_moves import record_events
from campaign.models import Letter, LetterState
from campaign.models.base import utcnow

log = logging.getLogger(__name__)

S = LetterState
LETTERS = Letter.__table__
JOURNAL_PREFIX = "campaign:sent:"
JOURNAL_TTL = 7 * 86400


# -- the fair order (queueing.py puts letters in the queue) ---------------------------


def rank_letters(letter_ids: Iterable[int]) -> int:
    """Give queued letters without a rank (0) their place in the fair order: the next
    round of their representative (one more than the representative's highest rank
    still queued or sending), but never before the round now being sent (the lowest
    rank queued). A backlog of letters to A and then to B thus goes A, B, A, B...; a
    representative with nothing queued joins the current round. In the caller's
    transaction; returns how many letters were ranked."""
    ids = list(letter_ids)
    if not ids:
        return 0
    rows = db.session.execute(
        select(Letter.id, Letter.representative_id)
        .where(Letter.id.in_(ids), Letter.state == S.QUEUED.value, Letter.fair_rank == 0)
        .order_by(Letter.id)
    ).all()
    if not rows:
        return 0
    ranks = next_ranks([rep_id for _, rep_id in rows])
    params = [
        {"b_id": letter_id, "b_rank": rank}
        for (letter_id, _), rank in zip(rows, ranks, strict=True)
    ]
    db.session.execute(
        LETTERS.update()
        .where(LETTERS.c.id == bindparam("b_id"))
        .values(fair_rank=bindparam("b_rank")),
        params,
    )
    return len(params)


def next_ranks(representative_ids: list[int]) -> list[int]:
    """The fair-order rank of each of a run of new letters, given their
    representatives in the letters' order (see rank_letters)."""
    current_round = (
        db.session.execute(
            select(func.min(Letter.fair_rank)).where(
                Letter.state == S.QUEUED.value, Letter.fair_rank > 0
            )
        ).scalar()
        or 1
    )
    last = dict(
        db.session.execute(
            select(Letter.representative_id, func.max(Letter.fair_rank))
            .where(
                Letter.representative_id.in_(set(representative_ids)),
                Letter.state.in_([S.QUEUED.value, S.SENDING.value]),
            )
            .group_by(Letter.representative_id)
        ).all()
    )
    ranks = []
    for rep_id in representative_ids:
        rank = max(last.get(rep_id, 0) + 1, current_round)
        last[rep_id] = rank
        ranks.append(rank)
    return ranks


# -- taking ---------------------------------------------------------------------------


def take_letters(letter_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Move queued letters to `sending` with a lease, as one compare-and-set: only
    letters still `queued` are taken. Records an event per letter taken; the caller
    commits. Returns {letter id: attempt number} for the letters taken; the attempt
    number is the token under which the outcome must be recorded."""
    if not letter_ids:
        return {}
    now = now or utcnow()
    lease = lease_end(now)
    taken = dict(
        db.session.execute(
            update(Letter)
            .where(Letter.id.in_(letter_ids), Letter.state == S.QUEUED.value)
            .values(
                state=S.SENDING.value,
                lease_until=lease,
                attempts=Letter.attempts + 1,
                updated_at=now,
            )
            .returning(Letter.id, Letter.attempts)
            .execution_options(synchronize_session=False)
        ).all()
    )
    record_events(
        [(letter_id, S.QUEUED, S.SENDING, "taken by a worker") for letter_id in taken], now
    )
    return taken


def lease_end(taken_at: datetime) -> datetime:
    """When the lease of a letter taken at ``taken_at`` ends (wall clock, UTC)."""
    return taken_at + timedelta(seconds=current_app.config["SENDING_LEASE_SECONDS"])


def renew_leases(held: dict[int, int], now: datetime) -> set[int]:
    """Extend the leases of letters this worker still holds ({letter id: attempt})
    to a full lease from ``now``, and commit. Returns the ids still held; a letter
    handed back or taken again meanwhile is not among them."""
    if not held:
        return set()
    rows = db.session.execute(
        update(Letter)
        .where(
            tuple_(Letter.id, Letter.attempts).in_(list(held.items())),
            Letter.state == S.SENDING.value,
        )
        .values(lease_until=lease_end(now))
        .returning(Letter.id)
        .execution_options(synchronize_session=False)
    )
    renewed = set(rows.scalars())
    db.session.commit()
    return renewed


def take_letter(letter_id: int) -> bool:
    """Take one letter (see take_letters) and commit. Returns whether this caller won."""
    taken = take_letters([letter_id])
    db.session.commit()
    return bool(taken)


# -- the message ----------------------------------------------------------------------


def letter_message(letter: Letter) -> OutgoingMessage:
    """The letter as mail: from the campaign's address in the supporter's name,
    replies to the letter's own address (reply+TOKEN@INBOUND_DOMAIN, or the
    supporter when INBOUND_DOMAIN is not set), only the letter id as a custom argument."""
    from campaign.delivery.reply_tokens import reply_address

    config = current_app.config
    if digest_members.is_lead(letter):
        return _digest_message(letter)
    return OutgoingMessage(
        to_email=letter.representative.email,
        to_name=letter.representative.name,
        from_email=config["MAIL_FROM"],
        from_name=letter.supporter.name,
        reply_to_email=reply_address(letter.id) or letter.supporter.email,
        reply_to_name=letter.supporter.name,
        subject=letter.subject,
        text=letter.body,
        custom_args={"letter_id": str(letter.id)},
        kind="letter",
    )


def _digest_message(letter: Letter) -> OutgoingMessage:
    """The digest its lead letter carries: from the campaign (its organiser, else the
    site), replies to the lead's own address, which names every letter of the digest
    (tracking.replies). No supporter's address is in it."""
    from campaign.delivery.reply_tokens import reply_address

    config = current_app.config
    digest, campaign = letter.digest, letter.campaign
    sender = campaign.organiser_name or campaign.title
    return OutgoingMessage(
        to_email=letter.representative.email,
        to_name=letter.representative.name,
        from_email=config["MAIL_FROM"],
        from_name=sender[:200],
        reply_to_email=reply_address(letter.id) or campaign.organiser_email or config["MAIL_FROM"],
        reply_to_name=sender[:200],
        subject=digest.subject,
        text=digest.body,
        custom_args={"letter_id": str(letter.id)},
        kind="letter",
    )


def retry_delay(attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, or the provider's own reset time (plus up
    to a second, so that a crowd of retries does not arrive in the same instant)."""
    if retry_after is not None:
        return retry_after + random.uniform(0, 1)
    base = current_app.config["SEND_RETRY_BASE_SECONDS"]
    cap = current_app.config["SEND_RETRY_MAX_SECONDS"]
    return random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1)))


# -- the send journal -----------------------------------------------------------------


def journal_sent(letter_id: int, attempt: int, message_id: str) -> None:
    """Note in Redis, before the database hears of it, that this attempt was accepted."""
    try:
        redis_connection().set(
            f"{JOURNAL_PREFIX}{letter_id}", f"{attempt}|{message_id}", ex=JOURNAL_TTL
        )
    except Exception:  # noqa: BLE001 - the database write that follows is the record
        log.warning("send journal unavailable for letter %s", letter_id, exc_info=True)


def journal_entries(letter_ids: list[int]) -> dict[int, tuple[int, str]]:
    """{letter id: (attempt, provider message id)} for the letters the journal knows."""
    if not letter_ids:
        return {}
    values = redis_connection().mget([f"{JOURNAL_PREFIX}{i}" for i in letter_ids])
    found = {}
    for letter_id, value in zip(letter_ids, values, strict=True):
        if value is None:
            continue
        attempt, _, message_id = (value.decode() if isinstance(value, bytes) else value).partition(
            "|"
        )
        found[letter_id] = (int(attempt), message_id)
    return found
