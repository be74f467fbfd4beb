"""The audit log: who changed which campaign, template, representative, account,
job queue or job; and who saw or exported supporters' personal data, when, and
how many records (record_access).

Entries are added to the caller's transaction, so a change and its record are
committed together or not at all. An entry never holds a supporter's personal
data: an access names the page or export and counts its records. What an entry
says is a message code and its parameters (audit_messages), read in the reader's
language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from campaign.accounts import audit_messages
from campaign.core.extensions import db
from campaign.models import AuditEntry, User
from campaign.models.audit import COMMAND_LINE, MESSAGE_KEY

PERSONAL_DATA = "personal_data"
OBJECT_TYPES = (
    "campaign",
    "template",
    "representative",
    "import",
    "user",
    "queue",
    "job",
    # A partner organisation, its API tokens and webhook endpoints.
    "partner",
    PERSONAL_DATA,
)


def _plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in after
        if _plain(before.get(key)) != _plain(after.get(key))
    }


def record(
    action: str,
    object_type: str,
    object_id: int | None,
    message: str,
    params: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    changes: dict[str, list] | None = None,
) -> AuditEntry:
    """Add an entry to the session (the caller commits). ``message`` is a code of
    audit_messages.MESSAGES and ``params`` the values of its placeholders (text,
    numbers, lists of them): the entry keeps both, to be read in each reader's
    language, and its English sentence. ``user`` None means the command line.
    Raises ValueError for an unknown object type or message, or a missing parameter."""
    if object_type not in OBJECT_TYPES:
        raise ValueError(f"unknown audited object type {object_type!r}")
    params = {name: _plain(value) for name, value in (params or {}).items()}
    summary = audit_messages.english(message, params)
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        actor=user.email if user is not None else COMMAND_LINE,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        changes={**(changes or {}), MESSAGE_KEY: audit_messages.stored(message, params)},
    )
    db.session.add(entry)
    return entry


def record_access(
    action: str,
    message: str,
    records: int,
    params: dict[str, Any] | None = None,
    *,
    user: User | None = None,
) -> None:
    """Record that ``user`` (None: the command line) saw (``view``, ``list``) or
    exported (``export``) ``records`` records of supporters' personal data through
    the page or export that ``message`` (with ``params``) names, never the data
    itself. Commits."""
    entry = record(action, PERSONAL_DATA, None, message, params, user=user)
    entry.records = records
    db.session.commit()


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    page: int
    pages: int
    total: int


def entries(
    page: int = 1, per_page: int = 50, object_type: str | None = None, object_id: int | None = None
) -> AuditPage:
    """The log, newest first, optionally for one kind of object (and one object)."""
    query = db.select(AuditEntry)
    if object_type:
        query = query.filter(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.filter(AuditEntry.object_id == object_id)
    total = db.session.execute(
        db.select(db.func.count()).select_from(query.subquery())
    ).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    return AuditPage(list(rows), page, pages, total)
