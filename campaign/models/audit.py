from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime

# The actor of a change made on the command line.
COMMAND_LINE = "command line"
# The key of ``changes`` that holds what the entry says, as a message code and its
# parameters (accounts.audit_messages), rather than a field that changed.
MESSAGE_KEY = "@message"


class AuditEntry(db.Model):
    """Who changed which campaign, template, representative, account or job, and
    who saw or exported supporters' personal data (how many records), and when.

    The entry itself never holds a supporter's personal data."""

    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    # None for changes made on the command line.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The account's address at the time, or COMMAND_LINE: readable even if the account goes.
    actor: Mapped[str] = mapped_column(db.String(320), default="")
    action: Mapped[str] = mapped_column(db.String(40))
    object_type: Mapped[str] = mapped_column(db.String(40))
    object_id: Mapped[int | None]
    # What happened, in English (the admin's page says it in the reader's language
    # from the code and parameters under changes[MESSAGE_KEY]).
    summary: Mapped[str] = mapped_column(db.String(500), default="")
    # Field name -> [before, after], for the fields that changed; and MESSAGE_KEY.
    changes: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # For an entry about supporters' personal data shown or exported: how many records.
    records: Mapped[int | None]

    user = relationship("User")

    @property
    def field_changes(self) -> dict[str, list]:
        """``changes`` without what the entry says: only the fields that changed."""
        return {k: v for k, v in (self.changes or {}).items() if k != MESSAGE_KEY}
