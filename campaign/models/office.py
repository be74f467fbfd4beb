from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime

# stop: write to us no more; redirect: write to this other address; web_form: use
# our web form instead; dispute: our figures on the public page are wrong.
OFFICE_REQUEST_KINDS = ("stop", "redirect", "web_form", "dispute")


class OfficeRequest(db.Model):
    """What a representative's office asked of the campaign, as staff recorded it.
    It applies until staff withdraw it; each change is also in the audit log."""

    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in OFFICE_REQUEST_KINDS) + ")", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representative.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(db.String(16))
    # redirect: the address the office gave (the representative's address before it
    # is in the audit log).
    email: Mapped[str] = mapped_column(db.String(320), default="")
    # web_form: where supporters are sent instead.
    url: Mapped[str] = mapped_column(db.String(500), default="")
    # What the office said, in staff's words (no supporter data).
    note: Mapped[str] = mapped_column(db.Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    withdrawn_at = mapped_column(UTCDateTime)

    representative = relationship("Representative")
