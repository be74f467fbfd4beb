"""Helpers for the partners' API and webhook tests: partners attached to the demo
campaign, supporters who consented (rows made here as the supporters' side makes
them), tokens, and a loopback webhook receiver."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign.core.extensions import db
from campaign.devtools.webhook_receiver import WebhookReceiver
from campaign.models import (
    Campaign,
    Letter,
    LetterState,
    LetterTemplate,
    Partner,
    PartnerConsent,
    Representative,
    Submission,
    Supporter,
)
from campaign.models.base import utcnow
from campaign.partners import tokens

WORDING = "{partner} may email me about this campaign and its work."


def campaign(slug: str = "time-for-release") -> Campaign:
    return db.session.execute(select(Campaign).filter_by(slug=slug)).scalar_one()


def make_partner(slug: str, *campaigns: Campaign, active: bool = True) -> Partner:
    partner = Partner(slug=slug, name=f"Partner {slug}", offers_consent=True, active=active)
    partner.campaigns.extend(campaigns)
    db.session.add(partner)
    db.session.commit()
    return partner


def token_for(partner: Partner, label: str = "CRM") -> str:
    plain, _row = tokens.create_token(partner, label, None)
    return plain


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def reps(country: str, count: int = 1) -> list[Representative]:
    return list(
        db.session.execute(
            select(Representative)
            .filter_by(country=country)
            .order_by(Representative.id)
            .limit(count)
        ).scalars()
    )


def supporter_with_letters(
    target: Campaign,
    partner: Partner | None,
    country: str = "DE",
    letters: int = 1,
    confirmed: bool = True,
    consent: bool = True,
    state: LetterState = LetterState.QUEUED,
    name: str | None = None,
    confirmed_at=None,
) -> tuple[Supporter, Submission, PartnerConsent | None]:
    """A supporter's submission through ``partner`` with letters to ``country``'s
    representatives in ``state`` and, with ``consent``, their consent to the partner."""
    supporter = Supporter(
        email=f"supporter-{secrets.token_hex(4)}@example.org",
        name=name or f"Supporter {secrets.token_hex(2)}",
        locale="de",
    )
    now = utcnow()
    submission = Submission(
        campaign=target,
        supporter=supporter,
        partner_id=partner.id if partner else None,
        confirmed_at=(confirmed_at or now) if confirmed else None,
    )
    db.session.add_all([supporter, submission])
    db.session.flush()
    for rep in reps(country, letters):
        template = db.session.execute(
            select(LetterTemplate).filter_by(
                campaign_id=target.id, language=rep.language, body_kind=rep.body.kind
            )
        ).scalar_one()
        db.session.add(
            Letter(
                campaign_id=target.id,
                submission_id=submission.id,
                supporter_id=supporter.id,
                representative_id=rep.id,
                template_version_id=template.published_version_id,
                language=rep.language,
                subject="The time for release is now",
                body="Dear representative, please act.",
                state=(state if confirmed else LetterState.AWAITING_CONFIRMATION).value,
                sent_at=now
                if state in (LetterState.SENT, LetterState.DELIVERED, LetterState.REPLIED)
                else None,
            )
        )
    given = None
    if consent and partner is not None:
        given = PartnerConsent(
            partner_id=partner.id,
            campaign_id=target.id,
            supporter_id=supporter.id,
            submission_id=submission.id,
            given_at=now - timedelta(seconds=5),
            wording=WORDING.format(partner=partner.name),
            wording_version=partner.consent_version,
            language="de",
        )
        db.session.add(given)
    db.session.commit()
    return supporter, submission, given


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()
