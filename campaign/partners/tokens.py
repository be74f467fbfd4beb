"""Partners' API tokens: made by admins, shown once, kept only as a SHA-256 hash,
read-only, revoked at once, and expiring API_TOKEN_MAX_AGE_DAYS after they were made."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.models import Partner, PartnerApiToken, User
from campaign.models.base import utcnow

# Recognisable in a leaked file or a secret scanner's rules; the rest is 256 random bits.
TOKEN_PREFIX = "tfr_"  # noqa: S105 - a label, not a secret
SHOWN_PREFIX = 12  # characters kept in clear to tell tokens apart (PartnerApiToken.prefix)
MAX_TOKEN_LENGTH = 100
# last_used_at is written at most this often per token (a busy tool makes no write storm).
LAST_USED_GRANULARITY = timedelta(seconds=60)


def hash_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def max_age() -> timedelta:
    return timedelta(days=int(current_app.config.get("API_TOKEN_MAX_AGE_DAYS", 365)))


def expires_at(token: PartnerApiToken) -> datetime:
    return token.created_at + max_age()


def create_token(partner: Partner, label: str, user: User | None) -> tuple[str, PartnerApiToken]:
    """A new read-only token of ``partner``; returns (the token, its row). The token
    itself is never stored: the caller shows it once. Commits, with an audit entry."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = PartnerApiToken(
        partner_id=partner.id,
        label=label.strip()[:120],
        token_hash=hash_of(plain),
        prefix=plain[:SHOWN_PREFIX],
        scope="read",
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "token_created",
        "partner",
        partner.id,
        "api_token_created",
        {"prefix": row.prefix, "partner": partner.name, "label": row.label},
        user=user,
    )
    db.session.commit()
    return plain, row


def revoke_token(token: PartnerApiToken, user: User | None) -> bool:
    """Revoke ``token`` (no effect if it already is); the next request with it fails.
    Returns whether it changed. Commits, with an audit entry."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.record(
        "token_revoked",
        "partner",
        token.partner_id,
        "api_token_revoked",
        {"prefix": token.prefix, "partner": token.partner.name, "label": token.label},
        user=user,
    )
    db.session.commit()
    return True


def tokens_of(partner: Partner) -> list[PartnerApiToken]:
    return list(
        db.session.execute(
            select(PartnerApiToken)
            .where(PartnerApiToken.partner_id == partner.id)
            .order_by(PartnerApiToken.revoked_at.is_not(None), PartnerApiToken.id.desc())
        ).scalars()
    )


@dataclass(frozen=True)
class Refusal:
    code: str  # missing_token, invalid_token, revoked_token, expired_token
    reason: str


REFUSALS = {
    "missing_token": "Send the token in an Authorization header: Bearer <token>.",
    "invalid_token": "This token is not known.",
    "revoked_token": "This token was revoked.",
    "expired_token": "This token has expired; ask for a new one.",
    "inactive_partner": "This partner's access is switched off.",
}


def authenticate(header: str | None) -> PartnerApiToken | Refusal:
    """The live token an ``Authorization`` header carries, or why there is none.
    Marks the token used (at most once a minute, committed)."""
    scheme, _, presented = (header or "").strip().partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        return Refusal("missing_token", REFUSALS["missing_token"])
    if len(presented) > MAX_TOKEN_LENGTH or not presented.isascii():
        return Refusal("invalid_token", REFUSALS["invalid_token"])
    token = db.session.execute(
        select(PartnerApiToken).where(PartnerApiToken.token_hash == hash_of(presented))
    ).scalar_one_or_none()
    if token is None:
        return Refusal("invalid_token", REFUSALS["invalid_token"])
    if token.revoked_at is not None:
        return Refusal("revoked_token", REFUSALS["revoked_token"])
    now = utcnow()
    if now >= expires_at(token):
        return Refusal("expired_token", REFUSALS["expired_token"])
    if not token.partner.active:
        return Refusal("inactive_partner", REFUSALS["inactive_partner"])
    _mark_used(token, now)
    return token


def _mark_used(token: PartnerApiToken, now: datetime) -> None:
    db.session.execute(
        update(PartnerApiToken)
        .where(
            PartnerApiToken.id == token.id,
            or_(
                PartnerApiToken.last_used_at.is_(None),
                PartnerApiToken.last_used_at < now - LAST_USED_GRANULARITY,
            ),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
