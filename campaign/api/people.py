"""The partner's consenting supporters, and the consents withdrawn, page by page.

Only consents whose submission was confirmed are ever listed, never a withdrawn one
in the people listing, never one whose supporter's data was deleted (the consent
goes with it) or anonymised, never another partner's. Pages are ordered by the time
a consent became visible (its submission's confirmation; the withdrawal for the
withdrawals) and its id; a cursor names the last row of a page, so rows confirmed
while a client pages come after the rows it has read, never between them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, or_, select

from campaign.core.extensions import db
from campaign.models import Campaign, Partner, PartnerConsent, Submission, Supporter
from campaign.partners import person_shape

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 200
MAX_SINCE_LENGTH = 40


class BadQuery(ValueError):
    """A parameter is malformed; the message says which and why."""


def standing_consents(partner_id: int, campaign_id: int) -> list:
    """Conditions (over PartnerConsent, Supporter and Submission) of a consent listed
    to its partner."""
    return [
        PartnerConsent.partner_id == partner_id,
        PartnerConsent.campaign_id == campaign_id,
        PartnerConsent.withdrawn_at.is_(None),
        Supporter.anonymised_at.is_(None),
        Submission.confirmed_at.is_not(None),
    ]


# -- parameters ----------------------------------------------------------------------


def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"api-cursor:{kind}")


def make_cursor(kind: str, moment: datetime, ident: int) -> str:
    return _serializer(kind).dumps([moment.isoformat(), ident])


def read_cursor(kind: str, cursor: str | None) -> tuple[datetime, int] | None:
    """The (time, id) after which the next page starts; raises BadQuery for a cursor
    this API did not give for this listing."""
    if cursor is None:
        return None
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise BadQuery("cursor: not a cursor this listing gave")
    try:
        moment, ident = _serializer(kind).loads(cursor)
        moment = datetime.fromisoformat(moment)
        if type(ident) is not int or moment.tzinfo is None:
            raise ValueError
    except (BadSignature, ValueError, TypeError):
        raise BadQuery("cursor: not a cursor this listing gave") from None
    return moment, ident


def read_since(value: str | None) -> datetime | None:
    """``since`` as an aware time (ISO 8601; a time without offset is UTC)."""
    if value is None:
        return None
    if not value or len(value) > MAX_SINCE_LENGTH or not value.isascii():
        raise BadQuery("since: give a date and time in ISO 8601, like 2025-05-01T12:00:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadQuery(
            "since: give a date and time in ISO 8601, like 2025-05-01T12:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.year <= 9999:
        raise BadQuery("since: out of range")
    return moment.astimezone(UTC)


def read_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or len(value) > 4 or not 1 <= int(value) <= MAX_LIMIT:
        raise BadQuery(f"limit: a whole number from 1 to {MAX_LIMIT}")
    return int(value)


# -- listings -----------------------------------------------------------------------


@dataclass
class Page:
    items: list[dict]
    next_cursor: str | None


def _after(column, cursor: tuple[datetime, int] | None) -> list:
    if cursor is None:
        return []
    moment, ident = cursor
    return [or_(column > moment, and_(column == moment, PartnerConsent.id > ident))]


def people(
    partner: Partner, campaign: Campaign, since: datetime | None, cursor, limit: int
) -> Page:
    """One page of the partner's consenting supporters in ``campaign`` confirmed at or
    after ``since``."""
    confirmed = Submission.confirmed_at
    rows = db.session.execute(
        select(PartnerConsent, Supporter, confirmed, Submission.id)
        .join(Supporter, Supporter.id == PartnerConsent.supporter_id)
        .join(Submission, Submission.id == PartnerConsent.submission_id)
        .where(*standing_consents(partner.id, campaign.id))
        .where(*([confirmed >= since] if since is not None else []))
        .where(*_after(confirmed, cursor))
        .order_by(confirmed, PartnerConsent.id)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    countries = person_shape.countries([submission_id for *_rest, submission_id in rows])
    items = [
        {
            **person_shape.person(consent, supporter, countries.get(submission_id)),
            "consent": person_shape.consent_of(consent, confirmed_at),
        }
        for consent, supporter, confirmed_at, submission_id in rows
    ]
    last = rows[-1] if more else None
    return Page(items, make_cursor("people", last[2], last[0].id) if last else None)


def withdrawals(
    partner: Partner, campaign: Campaign, since: datetime | None, cursor, limit: int
) -> Page:
    """One page of the partner's consents in ``campaign`` withdrawn at or after
    ``since`` (of confirmed submissions: those the partner may have heard of)."""
    withdrawn = PartnerConsent.withdrawn_at
    rows = db.session.execute(
        select(PartnerConsent, Supporter)
        .join(Supporter, Supporter.id == PartnerConsent.supporter_id)
        .join(Submission, Submission.id == PartnerConsent.submission_id)
        .where(
            PartnerConsent.partner_id == partner.id,
            PartnerConsent.campaign_id == campaign.id,
            withdrawn.is_not(None),
            Submission.confirmed_at.is_not(None),
            Supporter.anonymised_at.is_(None),
        )
        .where(*([withdrawn >= since] if since is not None else []))
        .where(*_after(withdrawn, cursor))
        .order_by(withdrawn, PartnerConsent.id)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "identifiers": [person_shape.identifier(consent.partner_id, supporter.id)],
            "email_addresses": [
                {"address": supporter.email, "primary": True, "status": "unsubscribed"}
            ],
            "consent": {"id": consent.id, "withdrawn_at": person_shape.iso(consent.withdrawn_at)},
        }
        for consent, supporter in rows
    ]
    last = rows[-1][0] if more else None
    return Page(items, make_cursor("withdrawals", last.withdrawn_at, last.id) if last else None)
