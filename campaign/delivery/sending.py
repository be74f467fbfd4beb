"""Pausing, resuming and cancelling a campaign's sending.

* pause: queued letters stay queued and are not taken; letters already handed to a
  worker finish (one that has not reached its turn yet is handed back).
* resume: the letters are due again as they were; the dispatcher is woken.
* cancel: every queued letter becomes `cancelled` at once; a letter in `sending` is
  cancelled when it comes back without having been sent (a retry, an expired
  lease). A letter already accepted by the provider stays `sent`. Resuming a
  cancelled campaign sends only what is queued afterwards.

Organisers' pages, the staff queue page and the command line (`flask sending ...`)
all call these; each call is written to the audit log with the number of letters.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.delivery import letter_moves, queueing
from campaign.models import Campaign, Letter, LetterState, User
from campaign.models.base import utcnow

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


def _record(
    action: str,
    campaign: Campaign,
    before: str,
    queued: tuple[int, int],
    message: str,
    count: int,
    user: User | None,
) -> None:
    """The audit entry of a pause, resume or cancel. ``queued`` is the number of queued
    letters before and after, so that the entry says how many letters it affected."""
    audit.record(
        action,
        "campaign",
        campaign.id,
        message,
        {"campaign": campaign.slug, "count": count},
        user=user,
        changes={
            "sending_status": [before, campaign.sending_status],
            "queued_letters": list(queued),
        },
    )


def pause(campaign: Campaign, *, user: User | None = None) -> int:
    """Stop taking the campaign's letters; returns how many queued letters now wait.
    Recorded in the audit log as ``user`` (None: the command line); commits."""
    before = campaign.sending_status
    campaign.sending_status = "paused"
    waiting = queued_count(campaign)
    _record("pause", campaign, before, (waiting, waiting), "sending_paused", waiting, user)
    db.session.commit()
    return waiting


def resume(campaign: Campaign, *, user: User | None = None) -> int:
    """Take the campaign's letters again; returns how many are queued. Recorded in
    the audit log as ``user`` (None: the command line); commits, then wakes the
    dispatcher if letters wait."""
    before = campaign.sending_status
    campaign.sending_status = "active"
    waiting = queued_count(campaign)
    if waiting:
        queueing.wake_after_commit(waiting)
    _record("resume", campaign, before, (waiting, waiting), "sending_resumed", waiting, user)
    db.session.commit()
    return waiting


def cancel(campaign: Campaign, *, user: User | None = None) -> int:
    """Cancel the campaign's sending; returns how many queued letters were cancelled.
    Recorded in the audit log as ``user`` (None: the command line); commits."""
    before = campaign.sending_status
    campaign.sending_status = "cancelled"
    db.session.flush()
    now = utcnow()
    ids = []
    # Letters waiting for a digest, or carried by one, are cancelled with it.
    for state in (S.QUEUED, S.AWAITING_DIGEST, S.IN_DIGEST):
        ids += letter_moves.move_letters(
            Letter.campaign_id == campaign.id,
            state,
            S.CANCELLED,
            "the campaign's sending was cancelled",
            now,
        )
    _record("cancel", campaign, before, (len(ids), 0), "sending_cancelled", len(ids), user)
    db.session.commit()
    return len(ids)


ACTIONS = {"pause": pause, "resume": resume, "cancel": cancel}


def done_message(action: str, count: int) -> str:
    """What to tell the person who paused, resumed or cancelled, on any page."""
    if action == "pause":
        return _("Sending paused: %(count)s queued letters wait.", count=count)
    if action == "resume":
        return _("Sending resumed: %(count)s letters queued.", count=count)
    return _("Sending cancelled: %(count)s queued letters cancelled.", count=count)


def control(action: str, campaign: Campaign, *, user: User | None = None) -> int:
    """Pause, resume or cancel (``action`` one of ACTIONS, else KeyError); returns the
    number of letters affected, as the function of that name does."""
    return ACTIONS[action](campaign, user=user)
