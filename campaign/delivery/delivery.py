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
  worker never overwrites what another recorded.
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
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, tuple_, update
from sqlalchemy.exc import OperationalError

from campaign.core.extensions import db
from campaign.core.mail import OutgoingMessage
from campaign.core.queues import redis_connection
from campaign.models import Campaign, Letter, LetterEvent, LetterState
from campaign.models.base import utcnow
from campaign.models.letter import TRANSITIONS

log = logging.getLogger(__name__)

S = LetterState
LETTERS = Letter.__table__
JOURNAL_PREFIX = "campaign:sent:"
JOURNAL_TTL = 7 * 86400
# A 202 without X-Message-Id: delivery events still find the letter by its letter_id.
NO_MESSAGE_ID_CAUSE = (
    "accepted by the mail provider without a message id (no X-Message-Id in its answer); "
    "delivery events are matched by letter_id"
)


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


# -- recording outcomes ---------------------------------------------------------------


@dataclass
class Outcome:
    """What became of one attempt: ``kind`` is "sent", "retry", "failed", "released"
    (handed back unsent) or "cancelled"."""

    letter_id: int
    attempt: int
    kind: str
    reason: str = ""
    message_id: str = ""
    delay: float = 0.0  # for "retry" and "released": seconds until it may be tried again
    counts: bool = True  # for "retry": whether it counts towards MAX_SEND_ATTEMPTS


def record(outcomes: list[Outcome]) -> dict[str, int]:
    """Write the outcomes of attempts, each only if its letter is still `sending`
    under the same attempt, and commit. Returns how many of each kind were written."""
    if not outcomes:
        return {}
    for attempt in range(5):
        try:
            return _record(outcomes)
        except OperationalError:
            # SQLite: another process wrote between our read and our write; a lost
            # database connection on PostgreSQL. Nothing was written: try again.
            db.session.rollback()
            if attempt == 4:
                raise
            log.warning("recording outcomes failed; retrying", exc_info=True)
            time.sleep(0.1 * (attempt + 1))
    return {}


def _record(outcomes: list[Outcome]) -> dict[str, int]:
    now = utcnow()
    max_attempts = current_app.config["MAX_SEND_ATTEMPTS"]
    cancelled = _cancelled_campaigns(
        [o.letter_id for o in outcomes if o.kind in ("retry", "released")]
    )
    rows = [_row(o, now, max_attempts, cancelled) for o in outcomes]
    try:
        written = _write(rows, now)
    except _Mismatch:
        db.session.rollback()
        written = {}
        for row in rows:
            kind = _write_one(row, now)
            if kind:
                written[kind] = written.get(kind, 0) + 1
    db.session.commit()
    return written


@dataclass
class _Row:
    outcome: Outcome
    to: LetterState
    cause: str
    values: dict


class _Mismatch(Exception):
    """A letter was no longer `sending` under the attempt being recorded."""


def _row(o: Outcome, now: datetime, max_attempts: int, cancelled: set[int]) -> _Row:
    if o.kind == "sent":
        values = {
            "sent_at": now,
            "provider_message_id": o.message_id or None,
            "last_error": None,
        }
        cause = "accepted by the mail provider"
        if not o.message_id:
            cause = NO_MESSAGE_ID_CAUSE
        return _Row(o, S.SENT, cause, values)
    if o.kind == "failed":
        return _Row(o, S.FAILED, o.reason[:500], {"last_error": o.reason})
    if o.kind == "cancelled" or o.letter_id in cancelled:
        return _Row(o, S.CANCELLED, "the campaign's sending was cancelled", {})
    if o.kind == "retry" and o.counts and o.attempt >= max_attempts:
        reason = f"gave up after {o.attempt} attempts: {o.reason}"
        return _Row(o, S.FAILED, reason[:500], {"last_error": reason})
    values = {"next_attempt_at": now + timedelta(seconds=o.delay)}
    if o.kind == "retry":
        values["last_error"] = o.reason
        cause = f"retry in {o.delay:.0f}s: {o.reason}"
    else:
        cause = f"handed back unsent: {o.reason}"
    if o.kind == "released" or not o.counts:
        # Nothing reached the provider, or it did not look (429): not an attempt.
        values["attempts"] = o.attempt - 1
    return _Row(o, S.QUEUED, cause[:500], values)


_COLUMNS = ("sent_at", "provider_message_id", "last_error", "next_attempt_at", "attempts")


def _write(rows: list[_Row], now: datetime) -> dict[str, int]:
    written: dict[str, int] = {}
    groups: dict[tuple, list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.to, tuple(sorted(row.values))), []).append(row)
    for (to, columns), members in groups.items():
        values = {name: bindparam(f"b_{name}") for name in columns}
        stmt = (
            LETTERS.update()
            .where(
                LETTERS.c.id == bindparam("b_id"),
                LETTERS.c.state == S.SENDING.value,
                LETTERS.c.attempts == bindparam("b_attempt"),
            )
            .values(state=to.value, lease_until=None, updated_at=now, **values)
        )
        params = [
            {
                "b_id": r.outcome.letter_id,
                "b_attempt": r.outcome.attempt,
                **{f"b_{name}": r.values[name] for name in columns},
            }
            for r in members
        ]
        result = db.session.execute(stmt, params)
        if result.rowcount != len(params):
            raise _Mismatch
        for r in members:
            written[r.outcome.kind] = written.get(r.outcome.kind, 0) + 1
    record_events([(r.outcome.letter_id, S.SENDING, r.to, r.cause) for r in rows], now)
    return written


def _write_one(row: _Row, now: datetime) -> str | None:
    """One outcome when the batch could not be written as a whole: the letter moved
    meanwhile (its lease expired and the reconciler took it back, another worker took
    it again, or another attempt was recorded)."""
    o = row.outcome
    letter = db.session.execute(
        select(Letter).where(Letter.id == o.letter_id).with_for_update()
    ).scalar_one_or_none()
    if letter is None:
        return None
    if letter.state == S.SENDING and letter.attempts == o.attempt:
        pass
    elif o.kind != "sent":
        # An unsent outcome of an attempt the letter has moved past changes nothing.
        return None
    elif letter.state in (S.SENT, S.DELIVERED, S.BOUNCED, S.REPLIED):
        if (letter.provider_message_id or "") != o.message_id or letter.attempts != o.attempt:
            note_duplicate(letter, o.attempt, o.message_id, now)
        return None
    elif letter.state == S.QUEUED:
        # Handed back (lease expired, or a later attempt that did not get through),
        # and not taken again: record the send, so that it does not go again.
        letter.transition(S.SENDING, f"late result of attempt {o.attempt}")
    elif letter.state == S.SENDING:
        # Another worker holds a later attempt: the letter was accepted already, so
        # it is sent. If the other attempt is accepted too, its record finds the
        # letter sent and reports the duplicate with both message ids.
        log.warning(
            "letter %s: attempt %s was accepted (message id %s) while attempt %s was under way",
            letter.id,
            o.attempt,
            o.message_id or "none",
            letter.attempts,
        )
    else:
        log.warning(
            "letter %s: attempt %s was accepted (message id %s) after the letter became %s",
            letter.id,
            o.attempt,
            o.message_id or "none",
            letter.state,
        )
        _history(
            letter,
            f"attempt {o.attempt} was accepted (message id {o.message_id or 'none'}) "
            f"after the letter became {letter.state}",
            now,
        )
        return None
    for name, value in row.values.items():
        setattr(letter, name, value)
    letter.lease_until = None
    letter.transition(row.to, row.cause)
    return o.kind


DUPLICATE_CAUSE = "sent twice"


def note_duplicate(letter: Letter, attempt: int, message_id: str, now: datetime) -> None:
    """A letter already recorded as sent was accepted once more (a worker paused past
    its lease, or killed inside the documented window): log it as a warning with both
    message ids and write it to the letter's history, where the staff queue page
    counts it (queue_status.duplicates). The caller commits."""
    recorded = letter.provider_message_id or "none"
    log.warning(
        "letter %s: sent twice: attempt %s accepted with message id %s, already recorded "
        "with message id %s",
        letter.id,
        attempt,
        message_id or "none",
        recorded,
    )
    _history(
        letter,
        f"{DUPLICATE_CAUSE}: attempt {attempt} was also accepted (message id "
        f"{message_id or 'none'}; recorded: {recorded})",
        now,
    )


def _history(letter: Letter, cause: str, now: datetime) -> None:
    """An entry in the letter's history that is not a move (its state stays)."""
    db.session.add(
        LetterEvent(
            letter_id=letter.id,
            from_state=letter.state,
            to_state=letter.state,
            cause=cause[:500],
            created_at=now,
        )
    )


def move_letters(
    condition, from_state: LetterState, to_state: LetterState, cause: str, now: datetime, **values
) -> list[int]:
    """Move every letter matching ``condition`` that is still in ``from_state`` to
    ``to_state`` in one statement (setting ``values`` too), with an event for each;
    returns the ids moved. The caller commits."""
    moved = (
        db.session.execute(
            update(Letter)
            .where(condition, Letter.state == from_state.value)
            .values(state=to_state.value, updated_at=now, **values)
            .returning(Letter.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    record_events([(i, from_state, to_state, cause) for i in moved], now)
    return moved


def record_events(moves: list[tuple[int, LetterState, LetterState, str]], now: datetime) -> None:
    """One LetterEvent per (letter id, from, to, cause), for state changes written in
    bulk; refuses a move the state machine does not allow. The caller commits."""
    if not moves:
        return
    for _, from_state, to_state, _ in moves:
        if to_state not in TRANSITIONS[from_state]:
            raise ValueError(f"{from_state} -> {to_state} is not an allowed move")
    db.session.execute(
        insert(LetterEvent),
        [
            {
                "letter_id": letter_id,
                "from_state": from_state.value,
                "to_state": to_state.value,
                "cause": cause[:500],
                "created_at": now,
            }
            for letter_id, from_state, to_state, cause in moves
        ],
    )


def _cancelled_campaigns(letter_ids: list[int]) -> set[int]:
    """The letters among ``letter_ids`` whose campaign's sending was cancelled."""
    if not letter_ids:
        return set()
    return set(
        db.session.execute(
            select(Letter.id)
            .join(Campaign, Campaign.id == Letter.campaign_id)
            .where(Letter.id.in_(letter_ids), Campaign.sending_status == "cancelled")
        ).scalars()
    )
