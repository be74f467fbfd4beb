"""Finding representatives for supporters: by country, grouped by body, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import or_

from campaign.core.extensions import db
from campaign.models import Body, Campaign, LetterTemplate, Representative
from campaign.models.base import utcnow


@dataclass(frozen=True)
class BodyGroup:
    body: Body
    representatives: list[Representative]


def default_campaign(slug: str | None = None) -> Campaign | None:
    """The campaign the site's first addresses (/write/…, /confirm/…) serve: the one
    organisers chose, else the oldest. ``slug`` (the CAMPAIGN_SLUG setting) pins it."""
    query = db.select(Campaign).order_by(Campaign.is_default.desc(), Campaign.id)
    if slug:
        query = query.filter_by(slug=slug)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def address_args(campaign: Campaign) -> dict:
    """The URL values of links about ``campaign``'s letters (mails, status pages):
    none for the default campaign, served at the site's first addresses (/confirm/…),
    its slug (/c/<slug>/…) for any other."""
    default = default_campaign(current_app.config.get("CAMPAIGN_SLUG"))
    return {} if default is not None and default.id == campaign.id else {"slug": campaign.slug}


def today() -> date:
    """The date campaigns open and close by (UTC)."""
    return utcnow().date()


def _with_published_letters():
    return (
        db.select(Campaign)
        .filter(
            db.select(LetterTemplate.id)
            .filter(
                LetterTemplate.campaign_id == Campaign.id,
                LetterTemplate.published_version_id.is_not(None),
            )
            .exists()
        )
        .order_by(Campaign.id)
    )


def public_campaign(slug: str) -> Campaign | None:
    """The campaign at /c/<slug>/: one with a published letter (open or not)."""
    statement = _with_published_letters().filter(Campaign.slug == slug)
    return db.session.execute(statement).scalar_one_or_none()


def open_campaigns(on: date | None = None) -> list[Campaign]:
    """The campaigns taking letters on ``on`` (today): published, between their dates."""
    on = on or today()
    return [c for c in db.session.execute(_with_published_letters()).scalars() if c.is_open(on)]


def countries_with_representatives() -> list[str]:
    rows = db.session.execute(
        db.select(Representative.country)
        .filter(Representative.active.is_(True))
        .distinct()
        .order_by(Representative.country)
    ).scalars()
    return list(rows)


def representatives_for(country: str, query: str = "") -> list[BodyGroup]:
    """Active representatives of ``country`` (national bodies and its MEPs), grouped
    by body, filtered by a case-insensitive match on name, party or constituency."""
    statement = (
        db.select(Representative)
        .join(Body)
        .filter(Representative.country == country, Representative.active.is_(True))
        .order_by(Body.kind, Body.name, Representative.name)
    )
    query = query.strip()
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.filter(
            or_(
                db.func.lower(Representative.name).like(pattern),
                db.func.lower(Representative.party).like(pattern),
                db.func.lower(Representative.constituency).like(pattern),
            )
        )
    groups: dict[int, BodyGroup] = {}
    for rep in db.session.execute(statement).scalars():
        groups.setdefault(rep.body_id, BodyGroup(rep.body, [])).representatives.append(rep)
    return list(groups.values())


def constituencies(bodies: list[Body], country: str) -> list[tuple[Body, list[str]]]:
    """For each of ``bodies`` whose members for ``country`` have constituencies, the
    constituencies' names in order, each once (a multi-member district is one
    place); members elected from a list without one are in none."""
    if not bodies:
        return []
    rows = db.session.execute(
        db.select(Representative.body_id, Representative.constituency)
        .filter(
            Representative.body_id.in_([b.id for b in bodies]),
            Representative.country == country,
            Representative.active.is_(True),
            Representative.constituency != "",
        )
        .distinct()
        .order_by(Representative.body_id, Representative.constituency)
    ).all()
    found: dict[int, list[str]] = {}
    for body_id, name in rows:
        found.setdefault(body_id, []).append(name)
    return [(body, found[body.id]) for body in bodies if body.id in found]
