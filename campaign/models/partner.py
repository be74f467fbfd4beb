"""Partner organisations of a coalition campaign, their supporters' consent, and what
their own tools may read or receive (API tokens, outgoing webhooks)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime

campaign_partner = db.Table(
    "campaign_partner",
    sa.Column(
        "campaign_id", sa.Integer, ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "partner_id", sa.Integer, ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Partner(db.Model):
    """An organisation that brings supporters to campaigns through its own link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # The partner's part of its public address: /c/<campaign>/via/<slug>.
    slug: Mapped[str] = mapped_column(db.String(80), unique=True)
    name: Mapped[str] = mapped_column(db.String(200))
    website: Mapped[str] = mapped_column(db.String(500), default="")
    privacy_url: Mapped[str] = mapped_column(db.String(500), default="")
    contact_email: Mapped[str] = mapped_column(db.String(320), default="")
    # The logo is kept here and served from this site: a logo loaded from the
    # partner's own server would tell it who opened the page.
    logo: Mapped[bytes | None] = mapped_column(db.LargeBinary)
    logo_type: Mapped[str] = mapped_column(db.String(40), default="")
    # Origins (scheme://host[:port]) whose pages may frame the campaign's form.
    frame_origins: Mapped[list] = mapped_column(db.JSON, default=list)
    # "<partner> may email me about this campaign and its work": offered only when on,
    # never ticked in advance. The version grows whenever the wording changes, so each
    # consent records exactly what the supporter agreed to.
    offers_consent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    consent_version: Mapped[int] = mapped_column(default=1, server_default="1")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    campaigns = relationship("Campaign", secondary=campaign_partner, backref="partners")


class PartnerConsent(db.Model):
    """A supporter's consent to hear from one partner, with the words they agreed to."""

    __table_args__ = (UniqueConstraint("partner_id", "campaign_id", "supporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    # Deleting a supporter's data deletes their consents with it.
    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporter.id", ondelete="CASCADE"), index=True
    )
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission.id", ondelete="SET NULL")
    )
    given_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # The sentence exactly as shown, in the language it was shown in, and its version.
    wording: Mapped[str] = mapped_column(db.Text)
    wording_version: Mapped[int] = mapped_column()
    language: Mapped[str] = mapped_column(db.String(8))
    withdrawn_at = mapped_column(UTCDateTime)

    partner = relationship("Partner")
    supporter = relationship("Supporter")
    submission = relationship("Submission")


class PartnerApiToken(db.Model):
    """A read-only API token of one partner; only its hash is kept."""

    __table_args__ = (CheckConstraint("scope IN ('read')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(db.String(120), default="")
    # SHA-256 of the token (the tokens are long random strings, so no slow hash is
    # needed); the first characters are kept to tell tokens apart on the admin page.
    token_hash: Mapped[str] = mapped_column(db.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(db.String(12))
    scope: Mapped[str] = mapped_column(db.String(16), default="read")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    last_used_at = mapped_column(UTCDateTime)
    revoked_at = mapped_column(UTCDateTime)

    partner = relationship("Partner")


class WebhookEndpoint(db.Model):
    """Where a partner's tools want to hear of its consenting supporters."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(db.String(500))
    # Signs each delivery (HMAC-SHA256): kept, since every delivery needs it.
    secret: Mapped[str] = mapped_column(db.String(80))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    partner = relationship("Partner")


class WebhookDelivery(db.Model):
    """One event for one endpoint, kept until delivered or given up: the database is
    the record, RQ only wakes the sender, so an emptied Redis loses none."""

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="state"),
        Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(db.String(40))
    payload: Mapped[str] = mapped_column(db.Text)
    state: Mapped[str] = mapped_column(db.String(16), default="pending")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_attempt_at = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(db.String(300), default="")
    delivered_at = mapped_column(UTCDateTime)

    endpoint = relationship("WebhookEndpoint")
