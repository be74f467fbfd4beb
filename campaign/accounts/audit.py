"""The audit log: who changed which campaign, template, representative, account,
job queue or job; and who saw or exported supporters' personal data, when, and
how many records (record_access).

Entries are added to the caller's transaction, so a change and its record are
committed together or not at all. An entry never holds a supporter's personal
data: an access names the page or export and counts its records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from campaign.core.extensions import db
from campaign.models import AuditEntry, User

COMMAND_LINE = "command line"
PERSONAL_DATA = "personal_data"
OBJECT_TYPES = (
    "campaign",
    "template",
    "representative",
    "import",
    "user",
    "queue",
    "job",
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
    summary: str,
    *,
    user: User | None = None,
    changes: dict[str, list] | None = None,
) -> AuditEntry:
    """Add an entry to the session (the caller commits). ``user`` None means the
    command line."""
    if object_type not in OBJECT_TYPES:
        raise ValueError(f"unknown audited object type {object_type!r}")
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        actor=user.email if user is not None else COMMAND_LINE,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


def record_access(action: str, what: str, records: int, *, user: User | None = None) -> None:
    """Record that ``user`` (None: the command line) saw (``view``, ``list``) or
    exported (``export``) ``records`` records of supporters' personal data through
    ``what`` (a page or an export, never the data itself). Commits."""
    entry = record(action, PERSONAL_DATA, None, f"{action}: {what}", user=user)
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
