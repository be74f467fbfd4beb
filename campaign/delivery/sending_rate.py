"""Whether sending keeps up with the configured rate.

While letters are due (queued, their time come, their campaign sending) the throttle
lets them go at the campaign's THROTTLE_PER_SECOND (a little under it, see
delivery.throttle.HEADROOM). When the letters actually sent in the last
RATE_WINDOW_SECONDS fall well short of that, the workers are the limit, not the
throttle: too few worker processes, or too few requests in flight each
(SENDGRID_CONCURRENCY) for the provider's round trip. docs/operators/sending-rate.md
says how many are needed.

Measured from the database (letters' ``sent_at``), so every web process and the
command line see the same figure, whichever worker sent the letters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select

from campaign.core.extensions import db
from campaign.delivery import digest_members
from campaign.delivery.dispatch_claim import due_filter
from campaign.delivery.throttle import HEADROOM
from campaign.models import Campaign, Letter
from campaign.models.base import utcnow

# How far back the sending rate is measured.
RATE_WINDOW_SECONDS = 30
# Too short a stretch of sending says nothing about its rate.
MIN_SPAN_SECONDS = 5.0
# Below this share of what the throttle allows, sending is short of the rate (the
# throttle itself paces at HEADROOM of it, and a backlog's edges are uneven).
SHORT_BELOW = 0.85


@dataclass
class SendingRate:
    """``measured``: letters per second sent lately (None: too few to tell);
    ``configured``: the rate the throttle allows the campaigns with letters due
    (None: nothing due, or the throttle is off); ``due``: letters due now."""

    measured: float | None
    configured: float | None
    due: int

    @property
    def short(self) -> bool:
        """Letters are due, yet sending runs well below the configured rate."""
        if self.measured is None or self.configured is None or not self.due:
            return False
        return self.measured < self.configured * HEADROOM * SHORT_BELOW

    def describe(self) -> str:
        """What the staff queue page and `letters status` say, in the reader's
        language (the command line's is the default, English)."""
        if not self.short:
            return gettext("ok")
        return gettext(
            "Sending is slower than the configured rate: %(measured)s/s of "
            "%(configured)s/s. Add workers or raise SENDGRID_CONCURRENCY.",
            measured=f"{self.measured:.0f}",
            configured=f"{self.configured:g}",
        )


def sending_rate(window: float = RATE_WINDOW_SECONDS) -> SendingRate:
    """The sending rate of the last ``window`` seconds, against the configured rate of
    the campaigns with letters due now (the highest, when they differ: the global
    schedule is shared)."""
    now = utcnow()
    since = now - timedelta(seconds=window)
    count, first = db.session.execute(
        select(func.count(), func.min(Letter.sent_at)).where(
            Letter.sent_at >= since, digest_members.own_message()
        )
    ).one()
    measured = None
    if count and first is not None:
        # From the first letter of the window: a backlog that began sending ten
        # seconds ago is measured over those ten seconds, not over the window.
        span = (now - first).total_seconds()
        if span >= MIN_SPAN_SECONDS:
            measured = count / span
    due, configured = db.session.execute(
        select(func.count(Letter.id), func.max(Campaign.throttle_per_second))
        .join(Campaign, Campaign.id == Letter.campaign_id)
        .where(*due_filter(now))
    ).one()
    db.session.rollback()
    if not current_app.config["THROTTLE_ENABLED"]:
        configured = None
    return SendingRate(measured, float(configured) if configured else None, int(due or 0))
