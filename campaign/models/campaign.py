from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime

BODY_KINDS = ("parliament", "european_parliament", "ministry")


def configured(name: str, fallback):
    """A column default read from the app's settings (THROTTLE_PER_SECOND, ...) when
    a campaign is created, so that deployments choose the limits new campaigns get."""

    def default():
        from flask import current_app, has_app_context

        return current_app.config.get(name, fallback) if has_app_context() else fallback

    return default


class Campaign(db.Model):
    """A campaign: its appeal's figures, languages and sending status."""

    __table_args__ = (
        CheckConstraint(
            "sending_status IN ('active', 'paused', 'cancelled')", name="sending_status"
        ),
    )

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
    # Where the campaign writes: ISO country codes and body kinds; empty means all.
    target_countries: Mapped[list] = mapped_column(db.JSON, default=list)
    target_body_kinds: Mapped[list] = mapped_column(db.JSON, default=list)
    # Sending: "active", "paused" (letters wait) or "cancelled" (queued letters cancelled).
    sending_status: Mapped[str] = mapped_column(db.String(20), default="active")
    # The throttle, per campaign (see delivery.throttle and docs/architecture/delivery.md).
    throttle_per_second: Mapped[float] = mapped_column(
        default=configured("THROTTLE_PER_SECOND", 5.0)
    )
    throttle_rep_per_hour: Mapped[int] = mapped_column(
        default=configured("THROTTLE_REP_PER_HOUR", 30)
    )
    throttle_rep_per_day: Mapped[int] = mapped_column(
        default=configured("THROTTLE_REP_PER_DAY", 300)
    )
    throttle_domain_per_minute: Mapped[int] = mapped_column(
        default=configured("THROTTLE_DOMAIN_PER_MINUTE", 60)
    )
    # Optional sending window in the recipient's local time; None means any time.
    send_window_start: Mapped[time | None] = mapped_column(db.Time)
    send_window_end: Mapped[time | None] = mapped_column(db.Time)
    send_window_weekdays_only: Mapped[bool] = mapped_column(default=False)
    # Sending spread over the campaign (delivery.throttle): each representative's
    # letters leave evenly spaced until the campaign closes (or ``spread_ends_at``),
    # never more than ``spread_daily_ceiling`` a day to one representative.
    spread_until_close: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    spread_daily_ceiling: Mapped[int] = mapped_column(default=24, server_default="24")
    spread_ends_at = mapped_column(UTCDateTime, nullable=True)
    # Daily digests (letters.digests), per kind of body: {kind: N}, where the kind's
    # letters go to each representative as one digest a day, or as soon as N wait
    # (0: once a day only). A kind not named gets single letters.
    digest_kinds: Mapped[dict] = mapped_column(db.JSON, default=dict, server_default="{}")
    # Whether the public responsiveness page shows this campaign (organisers opt in).
    public_responsiveness: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    # The campaign the site's first addresses (/write/…, /confirm/…) serve; one at most
    # (campaigns.campaigns.make_default keeps it so).
    is_default: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    # Who runs the campaign: named in every page's footer, the privacy notice and
    # at the end of every letter. Empty until organisers set it.
    organiser_name: Mapped[str] = mapped_column(db.String(200), default="", server_default="")
    organiser_address: Mapped[str] = mapped_column(db.String(400), default="", server_default="")
    organiser_email: Mapped[str] = mapped_column(db.String(320), default="", server_default="")
    organiser_website: Mapped[str] = mapped_column(db.String(300), default="", server_default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    templates = relationship("LetterTemplate", back_populates="campaign")

    def closing_moment(self) -> datetime | None:
        """When the campaign closes: the end of its closing day (UTC), as
        ``not_open_reason`` counts it; None without a closing date."""
        if self.closes_at is None:
            return None
        return datetime.combine(self.closes_at + timedelta(days=1), time(0), tzinfo=UTC)

    def spread_end(self) -> datetime | None:
        """The moment a spread campaign's letters aim to have left by: ``spread_ends_at``
        when set, else the campaign's closing moment; None when spreading is off."""
        if not self.spread_until_close:
            return None
        return self.spread_ends_at or self.closing_moment()

    def digest_every(self, body_kind: str) -> int | None:
        """None when the kind's letters go singly; else N (a digest as soon as N
        letters wait for one representative, 0: only the daily one)."""
        value = (self.digest_kinds or {}).get(body_kind)
        return None if value is None else int(value)

    def is_open(self, today: date) -> bool:
        return self.not_open_reason(today) is None

    def not_open_reason(self, today: date) -> str | None:
        """ "not_yet" before the opening date, "closed" after the closing date, else None."""
        if self.opens_at and today < self.opens_at:
            return "not_yet"
        if self.closes_at and today > self.closes_at:
            return "closed"
        return None


class Body(db.Model):
    """Where representatives sit: a parliament chamber, the European Parliament, a ministry."""

    __table_args__ = (
        UniqueConstraint("country", "name"),
        CheckConstraint("kind IN ('parliament', 'european_parliament', 'ministry')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # ISO 3166-1 alpha-2; "EU" for the European Parliament.
    country: Mapped[str] = mapped_column(db.String(2))
    name: Mapped[str] = mapped_column(db.String(200))
    kind: Mapped[str] = mapped_column(db.String(32))
    # Some offices answer only constituents: then the supporter must give a city or postcode.
    requires_city: Mapped[bool] = mapped_column(default=False)
    # The body's name in other languages, {"be": "…", "ru": "…"}, set by organisers:
    # supporters read it in their interface language where one is given.
    names: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # Its members' title in each letter language, {"de": [woman, man, not given]},
    # set by organisers: letters use it instead of the usual title for the body's kind.
    titles: Mapped[dict] = mapped_column(db.JSON, default=dict, server_default="{}")

    representatives = relationship("Representative", back_populates="body")
