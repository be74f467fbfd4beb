"""The supporter's own words: a campaign's questions and similarity settings, and
the signatures of the personal paragraphs its letters carry (supporters.similarity)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime

# WriteToThem's threshold; and how many earlier paragraphs must resemble a new one.
DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_MATCHES = 3


class OwnWordsSettings(db.Model):
    """One campaign's questions (up to three, each {language: text}) and how alike
    a personal paragraph may be to earlier ones. No row: no questions, defaults."""

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    questions: Mapped[list] = mapped_column(db.JSON, default=list)
    # Every question must be answered (otherwise each answer is optional).
    answers_required: Mapped[bool] = mapped_column(default=False)
    similarity_threshold: Mapped[float] = mapped_column(default=DEFAULT_THRESHOLD)
    similarity_min_matches: Mapped[int] = mapped_column(default=DEFAULT_MIN_MATCHES)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ParagraphSignature(db.Model):
    """The MinHash signature of one submission's personal paragraph (never its text).
    Compared against only once the submission is confirmed (``confirmed_at``); the
    row goes when the paragraph's letters lose their text (supporters.privacy)."""

    __table_args__ = (
        Index("ix_paragraph_signature_campaign_confirmed", "campaign_id", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), unique=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    # A supporter's own earlier paragraphs are not held against them.
    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporter.id", ondelete="CASCADE"), index=True
    )
    signature: Mapped[bytes] = mapped_column(db.LargeBinary)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    confirmed_at = mapped_column(UTCDateTime)
