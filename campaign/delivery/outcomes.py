"""Recording what became of each attempt to send a letter, safe against late and
duplicate workers (delivery.delivery explains a letter's way).

An outcome is written only if the letter is still `sending` under the same attempt
(the attempt number is the lease's token), so that a late or duplicate worker never
overwrites what another recorded; a send that arrives after the letter moved on is
recorded as well as it can be (a late result, a duplicate noted in the letter's
history), never lost. Every state change is a LetterEvent (``record_events``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.exc import OperationalError

from campaign.core.extensions import db
from campaign.delivery import digest_members
from campaign.delivery.letter_moves import record_events
from campaign.models import Campaign, Letter, LetterEvent, LetterState
from campaign.models.base import utcnow

log = logging.getLogger(__name__)

S = LetterState
LETTERS = Letter.__table__
# A 202 without X-Message-Id: delivery events still find the letter by its letter_id.
NO_MESSAGE_ID_CAUSE = (
    "accepted by the mail provider without a message id (no X-Message-Id in its answer); "
    "delivery events are matched by letter_id"
)


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
    # A digest's letters go with the letter that carries it, in the same commit.
    settled = [r.outcome.letter_id for r in rows if r.to != S.QUEUED]
    digest_members.follow_leads(settled, now)
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
