"""What partners' tools hear of: a consenting supporter confirmed, or withdrew.

The supporters' side calls these inside the transaction that confirms or
withdraws; they add the webhook deliveries to it (campaign.partners.webhook_sender),
the caller commits, and the sender is woken once committed: a process that dies in
between loses nothing, and the clock's sweep sends what Redis forgot."""

from __future__ import annotations

import logging

from sqlalchemy import select

from campaign.core.extensions import db
from campaign.models import Campaign, Partner, PartnerConsent, Submission, Supporter
from campaign.models.base import utcnow
from campaign.partners import person_shape
from campaign.partners.webhook_sender import CONFIRMED, WITHDRAWN, record_deliveries

log = logging.getLogger(__name__)


def _campaign(campaign: Campaign) -> dict:
    return {"slug": campaign.slug, "title": campaign.title}


def consents_confirmed(consent_ids: list[int]) -> None:
    """The supporter behind these consents confirmed their email address: each
    consent still standing (not withdrawn, its supporter's data neither deleted nor
    anonymised, its submission confirmed, its partner active) becomes a
    ``consent.confirmed`` delivery to each active endpoint of its partner."""
    if not consent_ids:
        return
    rows = db.session.execute(
        select(PartnerConsent, Supporter, Submission, Campaign)
        .join(Supporter, Supporter.id == PartnerConsent.supporter_id)
        .join(Submission, Submission.id == PartnerConsent.submission_id)
        .join(Campaign, Campaign.id == PartnerConsent.campaign_id)
        .join(Partner, Partner.id == PartnerConsent.partner_id)
        .where(
            PartnerConsent.id.in_(consent_ids),
            PartnerConsent.withdrawn_at.is_(None),
            Supporter.anonymised_at.is_(None),
            Submission.confirmed_at.is_not(None),
            Partner.active.is_(True),
        )
        .order_by(PartnerConsent.id)
    ).all()
    countries = person_shape.countries([submission.id for _c, _s, submission, _k in rows])
    deliveries = 0
    for consent, supporter, submission, campaign in rows:
        payload = {
            "type": CONFIRMED,
            "timestamp": person_shape.iso(utcnow()),
            "data": {
                "campaign": _campaign(campaign),
                "person": person_shape.person(consent, supporter, countries.get(submission.id)),
                "consent": person_shape.consent_of(consent, submission.confirmed_at),
            },
        }
        deliveries += len(record_deliveries(consent.partner_id, CONFIRMED, payload))
    log.info("webhooks: %s consent(s) confirmed, %s deliveries", len(rows), deliveries)


def consent_withdrawn(consent_id: int) -> None:
    """The supporter withdrew this consent (their data page, or deleting their data;
    call before the consent is deleted): a ``consent.withdrawn`` delivery to each
    active endpoint of its partner, naming the person so that the partner can remove
    them. Nothing is sent for a consent whose submission was never confirmed: the
    partner never heard of it."""
    row = db.session.execute(
        select(PartnerConsent, Supporter, Submission, Campaign)
        .join(Supporter, Supporter.id == PartnerConsent.supporter_id)
        .join(Submission, Submission.id == PartnerConsent.submission_id)
        .join(Campaign, Campaign.id == PartnerConsent.campaign_id)
        .where(PartnerConsent.id == consent_id, Submission.confirmed_at.is_not(None))
    ).first()
    if row is None:
        return
    consent, supporter, _submission, campaign = row
    person = {
        "identifiers": [person_shape.identifier(consent.partner_id, supporter.id)],
        "email_addresses": [
            {"address": supporter.email, "primary": True, "status": "unsubscribed"}
        ],
    }
    payload = {
        "type": WITHDRAWN,
        "timestamp": person_shape.iso(utcnow()),
        "data": {
            "campaign": _campaign(campaign),
            "person": person,
            "consent": {
                "id": consent.id,
                "withdrawn_at": person_shape.iso(consent.withdrawn_at or utcnow()),
            },
        },
    }
    deliveries = record_deliveries(consent.partner_id, WITHDRAWN, payload)
    log.info("webhooks: consent %s withdrawn, %s deliveries", consent_id, len(deliveries))
