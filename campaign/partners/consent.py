"""A supporter's consent to hear from a partner: offered only where the partner asks
for it, never ticked in advance, recorded with the words exactly as shown, their
version and language; withdrawn from the supporter's data page, part of their data
download, and deleted with their data.

A consent counts only once the supporter has confirmed their address by the mail
link; partners' tools hear of it then (events.consents_confirmed), and of its
withdrawal (events.consent_withdrawn): their webhook deliveries are written in the
transaction that made it so, and sent once it commits."""

from __future__ import annotations

from flask_babel import gettext as _

from campaign.core.extensions import db
from campaign.models import Campaign, Partner, PartnerConsent, Submission, Supporter
from campaign.models.base import utcnow
from campaign.partners import events


def wording(partner: Partner) -> str:
    """The sentence beside the box, in the page's language (recorded as shown)."""
    return _("%(partner)s may email me about this campaign and its work.", partner=partner.name)


def record(submission: Submission, partner: Partner, text: str, language: str) -> PartnerConsent:
    """Add the consent the supporter of ``submission`` ticked (the caller commits).
    One consent per supporter, partner and campaign: a live one stays as it was
    given; a withdrawn one is given anew, with this submission's words."""
    consent = db.session.execute(
        db.select(PartnerConsent).filter_by(
            partner_id=partner.id,
            campaign_id=submission.campaign_id,
            supporter_id=submission.supporter_id,
        )
    ).scalar_one_or_none()
    if consent is not None and consent.withdrawn_at is None:
        return consent
    if consent is None:
        consent = PartnerConsent(
            partner_id=partner.id,
            campaign_id=submission.campaign_id,
            supporter_id=submission.supporter_id,
        )
        db.session.add(consent)
    consent.submission = submission
    consent.given_at = utcnow()
    consent.wording = text
    consent.wording_version = partner.consent_version
    consent.language = language[:8]
    consent.withdrawn_at = None
    return consent


def announce_confirmed(submission_id: int) -> None:
    """After the commit confirming a submission: tell the partners' side of the live
    consents given with it."""
    ids = list(
        db.session.execute(
            db.select(PartnerConsent.id).filter(
                PartnerConsent.submission_id == submission_id,
                PartnerConsent.withdrawn_at.is_(None),
            )
        ).scalars()
    )
    if ids:
        events.consents_confirmed(ids)


def consents_of(supporter: Supporter) -> list[PartnerConsent]:
    """The supporter's consents, live and withdrawn, the newest first."""
    return list(
        db.session.execute(
            db.select(PartnerConsent)
            .filter_by(supporter_id=supporter.id)
            .order_by(PartnerConsent.given_at.desc(), PartnerConsent.id.desc())
        ).scalars()
    )


def withdraw(supporter: Supporter, consent_id: int) -> PartnerConsent | None:
    """Withdraw the supporter's consent ``consent_id``; None when it is not theirs.
    Tells the partners' side in the same transaction, and commits (once:
    withdrawing again changes nothing)."""
    consent = db.session.get(PartnerConsent, consent_id)
    if consent is None or consent.supporter_id != supporter.id:
        return None
    if consent.withdrawn_at is None:
        consent.withdrawn_at = utcnow()
        events.consent_withdrawn(consent.id)
        db.session.commit()
    return consent


def withdraw_all(supporter: Supporter) -> list[int]:
    """Withdraw every live consent of the supporter (they delete their data), telling
    the partners' side in the same transaction while the consents still exist. Commits."""
    live = [c for c in consents_of(supporter) if c.withdrawn_at is None]
    if not live:
        return []
    now = utcnow()
    for consent in live:
        consent.withdrawn_at = now
        events.consent_withdrawn(consent.id)
    db.session.commit()
    return [c.id for c in live]


def forget(supporter_id: int) -> None:
    """Delete the supporter's consents (their data is erased; the caller commits)."""
    db.session.execute(
        db.delete(PartnerConsent)
        .where(PartnerConsent.supporter_id == supporter_id)
        .execution_options(synchronize_session=False)
    )


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _campaign_title(campaign_id: int) -> str | None:
    campaign = db.session.get(Campaign, campaign_id)
    return campaign.title if campaign is not None else None


def export(supporter: Supporter) -> list[dict]:
    """The supporter's consents as their data download shows them."""
    return [
        {
            "partner": consent.partner.name,
            "campaign": _campaign_title(consent.campaign_id),
            "wording": consent.wording,
            "wording_version": consent.wording_version,
            "language": consent.language,
            "given_at": _iso(consent.given_at),
            "withdrawn_at": _iso(consent.withdrawn_at),
        }
        for consent in consents_of(supporter)
    ]
