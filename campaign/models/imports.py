from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime


class ImportRun(db.Model):
    """One import of a file of representatives.

    An upload waits as ``pending`` (its bytes kept here, keyed by a random token)
    until the organiser confirms its dry run; it becomes ``applied`` once written,
    and its bytes are dropped. Imports from the command line are recorded as
    ``applied`` directly."""

    __table_args__ = (CheckConstraint("status IN ('pending', 'applied')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(db.String(64), unique=True)
    status: Mapped[str] = mapped_column(db.String(20), default="pending")
    # The file name as uploaded, or the path given on the command line.
    source: Mapped[str] = mapped_column(db.String(300))
    format: Mapped[str] = mapped_column(db.String(20))
    # country, body, term, language, deactivate_missing, as the organiser gave them.
    options: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # The day that decided which memberships had ended; the confirm step reuses it.
    parsed_on: Mapped[date] = mapped_column(db.Date)
    data: Mapped[bytes | None] = mapped_column(db.LargeBinary)
    data_sha256: Mapped[str] = mapped_column(db.String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    applied_at = mapped_column(UTCDateTime, index=True)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    deactivated: Mapped[int] = mapped_column(default=0)
    # Counts per country and body, and the skipped rows with their reasons.
    summary: Mapped[dict] = mapped_column(db.JSON, default=dict)

    user = relationship("User")
    bodies = relationship("ImportRunBody", back_populates="run", cascade="all, delete-orphan")


class ImportRunBody(db.Model):
    """A body an applied import wrote to: tells how fresh each body's data is."""

    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), primary_key=True, index=True)
    records: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    deactivated: Mapped[int] = mapped_column(default=0)

    run = relationship("ImportRun", back_populates="bodies")
    body = relationship("Body")
