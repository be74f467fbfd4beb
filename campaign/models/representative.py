from __future__ import annotations

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime


class Representative(db.Model):
    """A person or office a supporter can write to."""

    __table_args__ = (UniqueConstraint("body_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    external_id: Mapped[str] = mapped_column(db.String(120))
    # The country the person represents (ISO 3166-1 alpha-2); for an MEP, the member state.
    country: Mapped[str] = mapped_column(db.String(2), index=True)
    title: Mapped[str] = mapped_column(db.String(40), default="")
    name: Mapped[str] = mapped_column(db.String(200))
    email: Mapped[str] = mapped_column(db.String(320))
    party: Mapped[str] = mapped_column(db.String(200), default="")
    constituency: Mapped[str] = mapped_column(db.String(200), default="")
    language: Mapped[str] = mapped_column(db.String(8))
    # "female", "male" or "" when the source does not say: titles and salutations
    # agree with it, and stay neutral when it is unknown.
    gender: Mapped[str] = mapped_column(db.String(10), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    body = relationship("Body", back_populates="representatives")
