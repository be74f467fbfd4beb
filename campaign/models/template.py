from __future__ import annotations

from sqlalchemy import ForeignKey, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime


class LetterTemplate(db.Model):
    """The letter for one campaign, language and body kind; its text lives in versions."""

    __table_args__ = (UniqueConstraint("campaign_id", "language", "body_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    language: Mapped[str] = mapped_column(db.String(8))
    body_kind: Mapped[str] = mapped_column(db.String(32))
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("template_version.id", use_alter=True)
    )
    # The organiser's unpublished edit; supporters never see it.
    draft_subject: Mapped[str | None] = mapped_column(db.Text)
    draft_body: Mapped[str | None] = mapped_column(db.Text)
    draft_updated_at = mapped_column(UTCDateTime)

    campaign = relationship("Campaign", back_populates="templates")
    versions = relationship(
        "TemplateVersion",
        back_populates="template",
        foreign_keys="TemplateVersion.template_id",
        order_by="TemplateVersion.number",
    )
    published_version = relationship("TemplateVersion", foreign_keys=[published_version_id])


class TemplateVersion(db.Model):
    """One immutable text of a letter template. Letters point at the version they came from."""

    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_template.id"), index=True)
    number: Mapped[int]
    subject: Mapped[str] = mapped_column(db.Text)
    body: Mapped[str] = mapped_column(db.Text)
    # Whether a native speaker has checked this text.
    reviewed: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(db.String(200), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    template = relationship("LetterTemplate", back_populates="versions", foreign_keys=[template_id])


@event.listens_for(TemplateVersion, "before_update")
def _versions_are_immutable(mapper, connection, target):
    raise ValueError("a template version is immutable: publish a new version instead")
