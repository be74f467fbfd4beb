"""Letters are not written to an address that does not work or to an office that
asked us to stop.

A representative is *blocked* while their current address has an open flag (a hard
bounce or a drop: tracking.letter_progress.flag_address) or their office's request to stop,
or to be reached through a web form instead, stands (people.office_requests).
Supporters are not offered a blocked representative; letters queued to one move
to `held_address`, where staff see them, and go back to `queued` once the
representative is no longer blocked (staff mark the address fixed, an organiser
corrects it, the office's request is withdrawn), unless staff cancel them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from campaign.core.extensions import db
from campaign.delivery import digest_members, letter_moves
from campaign.models import (
    AddressFlag,
    Letter,
    LetterState,
    OfficeRequest,
    Representative,
)
from campaign.models.base import utcnow

S = LetterState
# Why a representative is blocked, as supporters and staff are told.
ADDRESS = "address"  # the address bounced; being checked
STOP = "stop"  # the office asked not to be written to
WEB_FORM = "web_form"  # the office asked to be reached through its web form
BLOCKING_REQUESTS = (STOP, WEB_FORM)


def _open_flags():
    """Representatives whose current address has an open flag."""
    return (
        select(AddressFlag.representative_id)
        .join(Representative, Representative.id == AddressFlag.representative_id)
        .where(
            AddressFlag.resolved_at.is_(None),
            AddressFlag.email == func.lower(Representative.email),
        )
    )


def _standing_requests():
    return select(OfficeRequest.representative_id, OfficeRequest.kind, OfficeRequest.url).where(
        OfficeRequest.withdrawn_at.is_(None), OfficeRequest.kind.in_(BLOCKING_REQUESTS)
    )


def blocked(representative_ids: Iterable[int] | None = None) -> dict[int, tuple[str, str]]:
    """``{representative id: (why, web form url)}`` for the blocked representatives
    (among ``representative_ids`` when given). An office's request outranks a flag:
    it says what to do instead."""
    ids = None if representative_ids is None else set(representative_ids)
    if ids is not None and not ids:
        return {}
    flags = _open_flags()
    requests = _standing_requests().order_by(OfficeRequest.id)
    if ids is not None:
        flags = flags.where(AddressFlag.representative_id.in_(ids))
        requests = requests.where(OfficeRequest.representative_id.in_(ids))
    found = {rep_id: (ADDRESS, "") for rep_id in db.session.execute(flags).scalars()}
    for rep_id, kind, url in db.session.execute(requests):
        if found.get(rep_id, (None,))[0] != STOP:
            found[rep_id] = (kind, url)
    return found


def hold_letters(letter_ids: list[int], cause: str) -> list[int]:
    """Move those of ``letter_ids`` still `queued` to `held_address`, recording
    why; returns the ids moved. The caller commits."""
    if not letter_ids:
        return []
    now = utcnow()
    moved = letter_moves.move_letters(
        Letter.id.in_(letter_ids), S.QUEUED, S.HELD_ADDRESS, cause, now
    )
    # The letters a held digest carries wait with it (each goes singly once released).
    digest_members.follow_leads(moved, now)
    return moved


def hold_representative(representative_id: int, cause: str) -> int:
    """Hold every letter queued to the representative; returns how many. The
    caller commits."""
    ids = db.session.execute(
        select(Letter.id).where(
            Letter.representative_id == representative_id, Letter.state == S.QUEUED.value
        )
    ).scalars()
    return len(hold_letters(list(ids), cause))


def hold_blocked_among(candidates: list[tuple[int, int]]) -> set[int]:
    """For the dispatcher: of ``(letter id, representative id)`` pairs about to be
    sent, hold those to a blocked representative; returns their letter ids. The
    caller commits."""
    stopped = blocked({rep_id for _, rep_id in candidates})
    if not stopped:
        return set()
    ids = [letter_id for letter_id, rep_id in candidates if rep_id in stopped]
    return set(hold_letters(ids, "held: the address is flagged or the office asked us to stop"))


def cancel(representative_id: int, cause: str, states=(S.HELD_ADDRESS,)) -> int:
    """Cancel the representative's letters in ``states`` (held ones by default);
    returns how many. The caller commits."""
    now = utcnow()
    moved = 0
    for state in states:
        moved += len(
            letter_moves.move_letters(
                Letter.representative_id == representative_id, state, S.CANCELLED, cause, now
            )
        )
    return moved


def held_counts() -> dict[int, int]:
    """``{representative id: letters held}`` for staff."""
    return dict(
        db.session.execute(
            select(Letter.representative_id, func.count())
            .where(Letter.state == S.HELD_ADDRESS.value)
            .group_by(Letter.representative_id)
        ).all()
    )
