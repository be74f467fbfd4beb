from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime


class LoginLink(db.Model):
    """A mailed one-time login link: the way round a throttled login.

    Only the SHA-256 of the link's random token is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(db.String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    used_at = mapped_column(UTCDateTime)

    user = relationship("User")


class RecoveryCode(db.Model):
    """A single-use code that stands in for the second factor; kept as its SHA-256."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(db.String(64))
    used_at = mapped_column(UTCDateTime)


class SecuritySetting(db.Model):
    """Account-security choices admins make on the site (one row per setting)."""

    name: Mapped[str] = mapped_column(db.String(60), primary_key=True)
    value: Mapped[str] = mapped_column(db.String(200), default="")
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
