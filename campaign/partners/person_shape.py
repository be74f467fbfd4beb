"""How a consenting supporter is shown to a partner (the API's listing and the
webhooks): OSDI's person (opensupporter.github.io/osdi-docs/people.html) where it
fits, with the consent beside it. docs/partners-api.md says where it departs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from campaign.core.extensions import db
from campaign.core.limits import keyed_hash
from campaign.models import Letter, PartnerConsent, Representative, Supporter

IDENTIFIER_SYSTEM = "time-for-release"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def identifier(partner_id: int, supporter_id: int) -> str:
    """The same for one supporter across a partner's campaigns, different for each
    partner (two partners cannot match their lists by it), and telling nothing of
    how many supporters there are."""
    return f"{IDENTIFIER_SYSTEM}:{keyed_hash('partner-person', f'{partner_id}:{supporter_id}')}"


def countries(submission_ids: list[int]) -> dict[int, str]:
    """{submission: the country of the representatives its letters went to} (the most
    common one): the only country the service knows of a supporter."""
    if not submission_ids:
        return {}
    rows = db.session.execute(
        select(Letter.submission_id, Representative.country, func.count())
        .join(Representative, Representative.id == Letter.representative_id)
        .where(Letter.submission_id.in_(submission_ids))
        .group_by(Letter.submission_id, Representative.country)
    ).all()
    counts: dict[int, Counter] = {}
    for submission_id, country, count in rows:
        counts.setdefault(submission_id, Counter())[country] = count
    return {
        sid: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for sid, c in counts.items()
    }


def person(consent: PartnerConsent, supporter: Supporter, country: str | None) -> dict:
    return {
        "identifiers": [identifier(consent.partner_id, supporter.id)],
        "name": supporter.name,
        "email_addresses": [{"address": supporter.email, "primary": True, "status": "subscribed"}],
        "languages_spoken": [supporter.locale],
        "postal_addresses": [{"country": country}] if country else [],
    }


def consent_of(consent: PartnerConsent, confirmed_at: datetime | None) -> dict:
    return {
        "id": consent.id,
        "given_at": iso(consent.given_at),
        "confirmed_at": iso(confirmed_at),
        "wording": consent.wording,
        "wording_version": consent.wording_version,
        "language": consent.language,
    }
