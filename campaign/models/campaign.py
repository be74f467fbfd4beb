from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .types import UTCDateTime

BODY_KINDS = ("parliament", "european_parliament", "ministry")


class Campaign(db.Model):
    """A campaign: its appeal's figures, languages and sending status."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(db.String(80), unique=True)
    title: Mapped[str] = mapped_column(db.String(200))
    default_language: Mapped[str] = mapped_column(db.String(8), default="en")
    opens_at: Mapped[date | None] = mapped_column(db.Date)
    closes_at: Mapped[date | None] = mapped_column(db.Date)
    # The appeal's figures are data organisers update, with the date they refer to.
    imprisoned: Mapped[int] = mapped_column(default=0)
    released_after_sentence: Mapped[int] = mapped_column(default=0)
    freed_early: Mapped[int] = mapped_column(default=0)
    died_in_custody: Mapped[int] = mapped_column(default=0)
    vulnerable: Mapped[int] = mapped_column(default=0)
    figures_as_of: Mapped[date | None] = mapped_column(db.Date)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    templates = relationship("LetterTemplate", back_populates="campaign")

    def is_open(self, today: date) -> bool:
        if self.opens_at and today < self.opens_at:
            return False
        return not (self.closes_at and today > self.closes_at)


class Body(db.Model):
    """Where representatives sit: a parliament chamber, the European Parliament, a ministry."""

    __table_args__ = (
        UniqueConstraint("country", "name"),
        CheckConstraint(
            "kind IN ('parliament', 'european_parliament', 'ministry')", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # ISO 3166-1 alpha-2; "EU" for the European Parliament.
    country: Mapped[str] = mapped_column(db.String(2))
    name: Mapped[str] = mapped_column(db.String(200))
    kind: Mapped[str] = mapped_column(db.String(32))

    representatives = relationship("Representative", back_populates="body")
