"""Pausing, resuming and cancelling a campaign's sending.

* pause: queued letters stay queued and are not taken; letters already handed to a
  worker finish (one that has not reached its turn yet is handed back).
* resume: the letters are due again as they were; the dispatcher is woken.
* cancel: every queued letter becomes `cancelled` at once; a letter in `sending` is
  cancelled when it comes back without having been sent (a retry, an expired
  lease). A letter already accepted by the provider stays `sent`. Resuming a
  cancelled campaign sends only what is queued afterwards.

Organisers' pages and the command line (`flask sending ...`) both call these.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Campaign, Letter, LetterState
from ..models.base import utcnow
from . import delivery

S = LetterState
STATUSES = ("active", "paused", "cancelled")


class UnknownCampaign(LookupError):
    """No campaign has that slug."""


def campaign_by_slug(slug: str) -> Campaign:
    campaign = db.session.execute(select(Campaign).filter_by(slug=slug)).scalar_one_or_none()
    if campaign is None:
        raise UnknownCampaign(f"no campaign with the slug {slug!r}")
    return campaign


def queued_count(campaign: Campaign) -> int:
    return db.session.execute(
        select(func.count()).where(
            Letter.campaign_id == campaign.id, Letter.state == S.QUEUED.value
        )
    ).scalar_one()


def pause(campaign: Campaign) -> int:
    """Stop taking the campaign's letters; returns how many queued letters now wait."""
    campaign.sending_status = "paused"
    db.session.commit()
    return queued_count(campaign)


def resume(campaign: Campaign) -> int:
    """Take the campaign's letters again; returns how many are queued."""
    campaign.sending_status = "active"
    waiting = queued_count(campaign)
    if waiting:
        delivery.wake_after_commit(waiting)
    db.session.commit()
    return waiting


def cancel(campaign: Campaign) -> int:
    """Cancel the campaign's sending; returns how many queued letters were cancelled."""
    campaign.sending_status = "cancelled"
    db.session.flush()
    now = utcnow()
    ids = (
        db.session.execute(
            update(Letter)
            .where(Letter.campaign_id == campaign.id, Letter.state == S.QUEUED.value)
            .values(state=S.CANCELLED.value, updated_at=now)
            .returning(Letter.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    delivery.record_events(
        [
            (letter_id, S.QUEUED, S.CANCELLED, "the campaign's sending was cancelled")
            for letter_id in ids
        ],
        now,
    )
    db.session.commit()
    return len(ids)
