"""What happened after a letter left: delivery events, replies, survey answers,
responses staff logged, addresses that bounce, and the rollups reports read."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime

REPLY_KINDS = ("human", "automatic", "bounce")
STANCES = ("supportive", "non_committal", "opposed")
SURVEY_ANSWERS = ("yes", "no", "automatic", "not_yet")
CHANNELS = ("phone", "letter", "email", "meeting", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DeliveryEvent(db.Model):
    """One event of SendGrid's Event Webhook, kept as received (known or not)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # SendGrid's own id; events without one get a digest of their content.
    sg_event_id: Mapped[str] = mapped_column(db.String(100), unique=True)
    letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter.id", ondelete="SET NULL"), index=True
    )
    event: Mapped[str] = mapped_column(db.String(40))
    # "hard" or "soft" for bounces, drops and deferrals; "" otherwise.
    severity: Mapped[str] = mapped_column(db.String(8), default="")
    reason: Mapped[str] = mapped_column(db.String(500), default="")
    sg_message_id: Mapped[str | None] = mapped_column(db.String(200))
    occurred_at = mapped_column(UTCDateTime)
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    payload: Mapped[dict] = mapped_column(db.JSON, default=dict)


class Reply(db.Model):
    """A message that arrived at a letter's reply address (or could not be matched
    to one: then letter_id is empty and staff see it in the inbox)."""

    __table_args__ = (
        CheckConstraint(_in("kind", REPLY_KINDS), name="kind"),
        CheckConstraint(_in("stance", STANCES), name="stance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter.id", ondelete="SET NULL"), index=True
    )
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    from_addr: Mapped[str] = mapped_column(db.String(320), default="")
    from_name: Mapped[str] = mapped_column(db.String(200), default="")
    subject: Mapped[str] = mapped_column(db.Text, default="")
    message_id: Mapped[str] = mapped_column(db.Text, default="")
    text: Mapped[str] = mapped_column(db.Text, default="")
    # The reply without the quotation of the letter, for display.
    own_text: Mapped[str] = mapped_column(db.Text, default="")
    # Sanitised: no scripts, styles or images.
    html: Mapped[str] = mapped_column(db.Text, default="")
    # human | automatic | bounce; None only when the message could not be read.
    kind: Mapped[str | None] = mapped_column(db.String(16), index=True)
    # What the classifier said, kept when staff correct the kind.
    classified_kind: Mapped[str | None] = mapped_column(db.String(16))
    classification_reason: Mapped[str] = mapped_column(db.String(300), default="")
    bounce: Mapped[str] = mapped_column(db.String(8), default="")
    # Recorded by staff for a human reply.
    stance: Mapped[str | None] = mapped_column(db.String(20))
    # How the letter was found: envelope, to, cc, in_reply_to, references, staff; "" when not.
    matched_by: Mapped[str] = mapped_column(db.String(20), default="")
    parse_error: Mapped[str | None] = mapped_column(db.String(300))
    # The message as received (raw mode), or the whole request when there was no message.
    raw: Mapped[bytes] = mapped_column(db.LargeBinary)
    # Makes a retried delivery of the same message harmless.
    dedupe_key: Mapped[str] = mapped_column(db.String(100), unique=True)
    # Forwarding to the supporter: "" (never), pending, sending, sent, failed, skipped.
    forward_status: Mapped[str] = mapped_column(db.String(16), default="")
    forward_attempts: Mapped[int] = mapped_column(default=0)
    forward_claimed_at = mapped_column(UTCDateTime)
    forwarded_at = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at = mapped_column(UTCDateTime)

    letter = relationship("Letter")


class SurveyInvitation(db.Model):
    """One follow-up email to a supporter about the letters that got no captured reply."""

    id: Mapped[int] = mapped_column(primary_key=True)
    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporter.id", ondelete="CASCADE"), index=True
    )
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)
    reminder_sent_at = mapped_column(UTCDateTime)
    answered_at = mapped_column(UTCDateTime)

    supporter = relationship("Supporter")
    answers = relationship("SurveyAnswer", back_populates="invitation", order_by="SurveyAnswer.id")


class SurveyAnswer(db.Model):
    """The supporter's answer about one letter; ``answer`` is empty until given."""

    __table_args__ = (CheckConstraint(_in("answer", SURVEY_ANSWERS), name="answer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitation.id", ondelete="CASCADE"), index=True
    )
    # A letter is asked about once.
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id", ondelete="CASCADE"), unique=True)
    answer: Mapped[str | None] = mapped_column(db.String(16))
    note: Mapped[str] = mapped_column(db.Text, default="")
    answered_at = mapped_column(UTCDateTime)

    invitation = relationship("SurveyInvitation", back_populates="answers")
    letter = relationship("Letter")


class LoggedResponse(db.Model):
    """A response staff recorded by hand: a call, a paper letter, a meeting."""

    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("stance", STANCES), name="stance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(db.String(20))
    stance: Mapped[str | None] = mapped_column(db.String(20))
    note: Mapped[str] = mapped_column(db.Text, default="")
    occurred_at = mapped_column(UTCDateTime, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    letter = relationship("Letter")


class AddressFlag(db.Model):
    """A representative's address that bounced hard or was dropped, for organisers
    to fix. It applies while the representative still has that address and it is
    not marked resolved."""

    __table_args__ = (UniqueConstraint("representative_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representative.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(db.String(320))
    reason: Mapped[str] = mapped_column(db.String(500), default="")
    # "event" (SendGrid) or "reply" (a bounce message).
    source: Mapped[str] = mapped_column(db.String(20))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    resolved_at = mapped_column(UTCDateTime)

    representative = relationship("Representative")


class ResponseRollup(db.Model):
    """Letters sent on one day by one campaign to one representative with one
    template version, and what became of them. Recomputed from the raw records
    (tracking.rollups); never edited by hand."""

    __table_args__ = (Index(None, "representative_id", "day"),)

    campaign_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    representative_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    template_version_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day = mapped_column(db.Date, primary_key=True)
    sent: Mapped[int] = mapped_column(default=0)
    delivered: Mapped[int] = mapped_column(default=0)
    bounced: Mapped[int] = mapped_column(default=0)
    replied: Mapped[int] = mapped_column(default=0)
    replied_captured: Mapped[int] = mapped_column(default=0)
    replied_surveyed: Mapped[int] = mapped_column(default=0)
    replied_logged: Mapped[int] = mapped_column(default=0)
    automatic: Mapped[int] = mapped_column(default=0)
    supportive: Mapped[int] = mapped_column(default=0)
    non_committal: Mapped[int] = mapped_column(default=0)
    opposed: Mapped[int] = mapped_column(default=0)


class ResponseSummary(db.Model):
    """The response_rollup rows of one campaign, representative and template
    version added up over all days: what the reports read (a few rows per
    representative instead of one per day)."""

    campaign_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    representative_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    template_version_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sent: Mapped[int] = mapped_column(default=0)
    delivered: Mapped[int] = mapped_column(default=0)
    bounced: Mapped[int] = mapped_column(default=0)
    replied: Mapped[int] = mapped_column(default=0)
    replied_captured: Mapped[int] = mapped_column(default=0)
    replied_surveyed: Mapped[int] = mapped_column(default=0)
    replied_logged: Mapped[int] = mapped_column(default=0)
    automatic: Mapped[int] = mapped_column(default=0)
    supportive: Mapped[int] = mapped_column(default=0)
    non_committal: Mapped[int] = mapped_column(default=0)
    opposed: Mapped[int] = mapped_column(default=0)


class ResponseDelay(db.Model):
    """For each letter with a dated human response: how long it took (for medians)."""

    __table_args__ = (Index(None, "representative_id", "day"),)

    letter_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    campaign_id: Mapped[int]
    representative_id: Mapped[int]
    template_version_id: Mapped[int]
    day = mapped_column(db.Date, nullable=False)
    first_response_at = mapped_column(UTCDateTime, nullable=False)
    delay_seconds: Mapped[float]


class RollupPending(db.Model):
    """Letters whose rollup rows must be recomputed. Rows are inserted by database
    triggers (migration 0009) whenever a letter's state, sending time or
    recipient changes, or a reply, survey answer or logged response of it does,
    whichever process or statement wrote it; they are deleted, by id, by the
    refresh that read them. For a letter's own change, ``representative_id`` and
    ``sent_at`` name the report group it was (or is) in, so that a letter moved or
    deleted is taken out of its old group."""

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int]
    representative_id: Mapped[int | None]
    sent_at = mapped_column(UTCDateTime)
