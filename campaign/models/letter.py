from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime


class LetterState(enum.StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    HELD = "held"
    # Queued to a representative whose address bounced or whose office asked us to
    # stop: waits for staff (address fixed: queued again; or cancelled).
    HELD_ADDRESS = "held_address"
    # Confirmed, for a representative whose letters of this campaign go as one daily
    # digest (letters.digests): waits for the next one.
    AWAITING_DIGEST = "awaiting_digest"
    # Gathered into a digest that its lead letter carries: moves with that letter
    # (sent, failed, cancelled), or, when the lead is withdrawn, becomes the lead.
    IN_DIGEST = "in_digest"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    REPLIED = "replied"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"


S = LetterState
# The only moves a letter may make (see the architecture notes); anything else is a bug.
TRANSITIONS: dict[LetterState, frozenset[LetterState]] = {
    S.AWAITING_CONFIRMATION: frozenset(
        {S.QUEUED, S.AWAITING_DIGEST, S.HELD, S.EXPIRED, S.CANCELLED}
    ),
    # A held letter is also cancelled when its supporter deletes their data.
    S.HELD: frozenset({S.QUEUED, S.AWAITING_DIGEST, S.REJECTED, S.CANCELLED}),
    # A digest's first letter is queued and carries it; the others wait in it.
    S.AWAITING_DIGEST: frozenset({S.QUEUED, S.IN_DIGEST, S.CANCELLED}),
    S.IN_DIGEST: frozenset({S.QUEUED, S.SENT, S.FAILED, S.HELD_ADDRESS, S.CANCELLED}),
    S.QUEUED: frozenset({S.SENDING, S.HELD_ADDRESS, S.CANCELLED}),
    S.HELD_ADDRESS: frozenset({S.QUEUED, S.CANCELLED}),
    S.SENDING: frozenset({S.QUEUED, S.SENT, S.FAILED, S.CANCELLED}),
    S.SENT: frozenset({S.DELIVERED, S.BOUNCED, S.REPLIED}),
    S.DELIVERED: frozenset({S.BOUNCED, S.REPLIED}),
    S.BOUNCED: frozenset(),
    S.REPLIED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REJECTED: frozenset(),
}
FINAL_STATES = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)
_STATE_LIST = ", ".join(f"'{s.value}'" for s in LetterState)


class InvalidTransition(ValueError):
    """A letter was asked to move to a state it cannot reach from where it is."""


class Supporter(db.Model):
    """A person who writes letters. Holds only what a letter needs."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(db.String(320), unique=True)
    name: Mapped[str] = mapped_column(db.String(200))
    city: Mapped[str] = mapped_column(db.String(200), default="")
    locale: Mapped[str] = mapped_column(db.String(8), default="en")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_activity_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Set when name, email and city were replaced (on request, or after inactivity).
    anonymised_at = mapped_column(UTCDateTime)


class Submission(db.Model):
    """The letters one supporter approved in one go, confirmed together by one link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    supporter_id: Mapped[int] = mapped_column(ForeignKey("supporter.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    confirmed_at = mapped_column(UTCDateTime)
    reminded_at = mapped_column(UTCDateTime)
    # Keyed hashes of the sender's address and network (never the address itself),
    # kept only as long as the abuse rules look back; see supporters.abuse.
    ip_hash: Mapped[str | None] = mapped_column(db.String(64), index=True)
    network_hash: Mapped[str | None] = mapped_column(db.String(64), index=True)
    # Why the letters wait for staff review once confirmed; None when they need none.
    hold_reason: Mapped[str | None] = mapped_column(db.String(200))
    # The supporter asked for a copy of their letters once confirmed (off unless asked).
    wants_copy: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # When the confirmation link was last mailed again on request (resends are limited).
    resent_at = mapped_column(UTCDateTime)
    # The partner organisation whose link (or embedded form) the supporter came
    # through; nothing else about where they came from is kept.
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="SET NULL"), index=True
    )
    # The personal paragraph's likeness to earlier ones of the campaign when it was
    # accepted (estimated Jaccard, the highest), and how many were above the
    # campaign's threshold: fewer than it refuses (supporters.own_words).
    paragraph_similarity: Mapped[float | None] = mapped_column()
    paragraph_matches: Mapped[int] = mapped_column(default=0, server_default="0")

    campaign = relationship("Campaign")
    supporter = relationship("Supporter")
    partner = relationship("Partner")
    letters = relationship("Letter", back_populates="submission", order_by="Letter.id")


class Letter(db.Model):
    """One supporter's letter to one representative, frozen as the supporter approved it."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "supporter_id", "representative_id"),
        CheckConstraint(f"state IN ({_STATE_LIST})", name="state"),
        # Delivery (delivery.dispatch): due letters in fair order, a representative's
        # letters by state, and what was sent lately (throttle counts rebuilt after a
        # Redis loss).
        Index("ix_letter_dispatch", "state", "fair_rank", "id"),
        Index("ix_letter_representative_state", "representative_id", "state"),
        # Reports (tracking.rollups): one representative's letters sent on one day.
        Index("ix_letter_representative_sent_at", "representative_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    supporter_id: Mapped[int] = mapped_column(ForeignKey("supporter.id"), index=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("representative.id"), index=True)
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_version.id"))
    language: Mapped[str] = mapped_column(db.String(8))
    subject: Mapped[str] = mapped_column(db.Text)
    body: Mapped[str] = mapped_column(db.Text)
    # The versions drawn of the subject's and body's blocks of template_version
    # (letters.text_versions): {"subject": [n], "body": [n, m]}; None without versions.
    text_draw: Mapped[dict | None] = mapped_column(db.JSON)
    # For a representative who gets daily digests: this letter's entry in them
    # (name, place, own words), rendered when the supporter approved it and shown
    # in the preview as it will be sent (letters.digest_text).
    digest_entry: Mapped[str | None] = mapped_column(db.Text)
    # The digest that carries (or carried) this letter (letters.digests).
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digest.id"), index=True)
    state: Mapped[str] = mapped_column(db.String(32), index=True)
    # While a worker holds the letter in `sending`, nobody else may take it before this time.
    lease_until = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    # A queued letter is not tried before this time (throttle, sending window, retry).
    next_attempt_at = mapped_column(UTCDateTime)
    # Letters go out in ascending order of this rank, which interleaves representatives
    # (see delivery.delivery.rank_letters); 0 for a letter no one has ranked yet.
    fair_rank: Mapped[int] = mapped_column(default=0, server_default="0")
    # Indexed: replies are matched to letters by it (In-Reply-To, References).
    provider_message_id: Mapped[str | None] = mapped_column(db.String(200), index=True)
    last_error: Mapped[str | None] = mapped_column(db.Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime, index=True)
    # Set when subject and text were removed (retention, or the supporter's request).
    text_removed_at = mapped_column(UTCDateTime)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    submission = relationship("Submission", back_populates="letters")
    supporter = relationship("Supporter")
    representative = relationship("Representative")
    campaign = relationship("Campaign")
    template_version = relationship("TemplateVersion")
    events = relationship("LetterEvent", back_populates="letter", order_by="LetterEvent.id")
    digest = relationship("Digest", foreign_keys=[digest_id])

    def transition(self, to: LetterState, cause: str) -> LetterEvent:
        """Move to ``to`` and record why; raises InvalidTransition for a move the
        state machine does not allow. The caller commits."""
        current = LetterState(self.state) if self.state else None
        if current is not None and to not in TRANSITIONS[current]:
            raise InvalidTransition(f"letter {self.id}: {current} -> {to} is not allowed")
        # Set from the event's side: a loaded ``events`` list gets it too, an unloaded
        # one is not read from the database just to append to it.
        event = LetterEvent(letter=self, from_state=self.state, to_state=to.value, cause=cause)
        self.state = to.value
        session = object_session(self)
        if session is not None:
            session.add(event)
        return event


class Digest(db.Model):
    """One mail to one representative that carries the day's letters of a campaign
    (letters.digests). Its text is composed when it is gathered and again if a
    letter leaves it before it goes; its first letter (``lead_letter_id``) goes
    through the queue, the throttle and the provider for all of them."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("representative.id"), index=True)
    # The UTC day it gathers letters for: one daily digest per representative a day.
    day: Mapped[date] = mapped_column(db.Date)
    # "daily", or "count" (gathered once N letters waited; see Campaign.digest_kinds).
    reason: Mapped[str] = mapped_column(db.String(8), default="daily")
    language: Mapped[str] = mapped_column(db.String(8))
    # Indexed: each outcome the workers write looks up the digests its letters lead.
    lead_letter_id: Mapped[int | None] = mapped_column(index=True)
    letters_count: Mapped[int] = mapped_column(default=0)
    subject: Mapped[str] = mapped_column(db.Text, default="")
    body: Mapped[str] = mapped_column(db.Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Set when the subject and text were removed (retention, as for letters).
    text_removed_at = mapped_column(UTCDateTime)

    campaign = relationship("Campaign")
    representative = relationship("Representative")


class LetterEvent(db.Model):
    """Every state change of a letter, with its time and cause."""

    # The staff home counts the moves of a day or a week.
    __table_args__ = (Index("ix_letter_event_to_state_created_at", "to_state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(db.String(32))
    to_state: Mapped[str] = mapped_column(db.String(32))
    cause: Mapped[str] = mapped_column(db.String(500))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    letter = relationship("Letter", back_populates="events")
