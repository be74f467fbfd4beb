"""The staff inbox of replies: filters, a page of it, and its rows for CSV."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from campaign.core.extensions import db
from campaign.models import Letter, Reply
from campaign.models.tracking import REPLY_KINDS, STANCES

INBOX_COLUMNS = (
    "received_at",
    "reply_id",
    "letter_id",
    "classification",
    "bounce",
    "stance",
    "matched_by",
    "campaign",
    "representative",
    "from",
    "subject",
    "forward_status",
)


@dataclass
class InboxFilters:
    kind: str = ""  # human | automatic | bounce | unread ("" for all)
    stance: str = ""  # a stance, "none" for human replies without one, "" for all
    matched: str = ""  # matched | unmatched | ""
    campaign_id: int | None = None


def inbox_query(filters: InboxFilters):
    """Replies matching ``filters``, newest first (a select of Reply)."""
    from campaign.models import Campaign, Representative

    query = (
        select(Reply, Letter, Representative, Campaign)
        .outerjoin(Letter, Letter.id == Reply.letter_id)
        .outerjoin(Representative, Representative.id == Letter.representative_id)
        .outerjoin(Campaign, Campaign.id == Letter.campaign_id)
        .order_by(Reply.received_at.desc(), Reply.id.desc())
    )
    if filters.kind == "unread":
        query = query.where(Reply.kind.is_(None))
    elif filters.kind in REPLY_KINDS:
        query = query.where(Reply.kind == filters.kind)
    if filters.stance == "none":
        query = query.where(Reply.kind == "human", Reply.stance.is_(None))
    elif filters.stance in STANCES:
        query = query.where(Reply.stance == filters.stance)
    if filters.matched == "matched":
        query = query.where(Reply.letter_id.is_not(None))
    elif filters.matched == "unmatched":
        query = query.where(Reply.letter_id.is_(None))
    if filters.campaign_id is not None:
        query = query.where(Letter.campaign_id == filters.campaign_id)
    return query


def inbox(filters: InboxFilters, page: int = 1, per_page: int = 50):
    """(rows of (reply, letter, representative, campaign), total count) for one page."""
    from sqlalchemy import func

    query = inbox_query(filters)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = db.session.execute(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return rows, total


def inbox_rows(filters: InboxFilters, limit: int = 100_000) -> list[dict]:
    """The inbox as plain rows (for CSV and the command line)."""
    rows = []
    for reply, _letter, rep, campaign in db.session.execute(inbox_query(filters).limit(limit)):
        rows.append(
            {
                "received_at": reply.received_at.isoformat(timespec="seconds"),
                "reply_id": reply.id,
                "letter_id": reply.letter_id or "",
                "classification": reply.kind or "",
                "bounce": reply.bounce,
                "stance": reply.stance or "",
                "matched_by": reply.matched_by,
                "campaign": campaign.slug if campaign else "",
                "representative": rep.name if rep else "",
                "from": reply.from_addr,
                "subject": reply.subject,
                "forward_status": reply.forward_status,
            }
        )
    return rows
