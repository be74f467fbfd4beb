"""Helpers for the partners' tests: a partner attached to a demo campaign, and a
supporter writing through its link or inside its embedded form."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from flask import g

from campaign.core.extensions import db
from campaign.models import Campaign, Partner, Submission

from . import flow
from .conftest import csrf_token

LOGOS = Path(__file__).resolve().parent / "data" / "logos"
CAMPAIGN = "time-for-release"
# What the test client's requests come from, as a browser's Origin would say.
OWN_ORIGIN = "http://localhost"
PARTNER_ORIGIN = "https://www.viasna.example"


def campaign(slug: str = CAMPAIGN) -> Campaign:
    return db.session.execute(db.select(Campaign).filter_by(slug=slug)).scalar_one()


def make_partner(slug: str = "viasna", campaign_slug: str = CAMPAIGN, **values) -> Partner:
    settings = {
        "name": "Viasna Friends",
        "website": "https://www.viasna.example",
        "privacy_url": "https://www.viasna.example/privacy",
        "contact_email": "team@viasna.example",
        "frame_origins": [PARTNER_ORIGIN],
        "offers_consent": True,
        **values,
    }
    partner = Partner(slug=slug, **settings)
    partner.campaigns = [campaign(campaign_slug)] if campaign_slug else []
    db.session.add(partner)
    db.session.commit()
    return partner


def rep_ids(country: str = "LT", count: int = 1) -> list[int]:
    return [r.id for r in flow.representatives_of(country)[:count]]


def letters_path(prefix: str, country: str, reps: list[int]) -> str:
    return f"{prefix}/write/{country}/letters?" + "&".join(f"rep={i}" for i in reps)


def form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "no form token in the page"
    return unescape(match.group(1))


def write_via(client, prefix: str, details: flow.Details, country: str = "LT", extra=None):
    """Write through a first-party page (session and CSRF token): the POST's answer."""
    g.pop("csrf_token", None)  # the test's app context outlives requests and clients
    reps = rep_ids(country)
    page = client.get(letters_path(prefix, country, reps))
    assert page.status_code == 200, page.get_data(as_text=True)[-2000:]
    data = details.form(csrf_token(page.get_data(as_text=True)), reps)
    data.update(extra or {})
    return client.post(f"{prefix}/write/{country}/letters", data=data)


def embedded_form(client, prefix: str, country: str = "LT") -> tuple[str, list[int]]:
    """Open the embedded letters page: its form token and the representatives."""
    reps = rep_ids(country)
    page = client.get(letters_path(prefix, country, reps))
    assert page.status_code == 200, page.get_data(as_text=True)[-2000:]
    return form_token(page.get_data(as_text=True)), reps


def post_embedded(
    client,
    prefix: str,
    token: str,
    reps: list[int],
    details: flow.Details,
    origin: str | None = OWN_ORIGIN,
    country: str = "LT",
    extra=None,
    action: str = "send",
):
    data = details.form("", reps, action=action)
    data.pop("csrf_token")
    data["form_token"] = token
    data.update(extra or {})
    headers = {"Origin": origin} if origin else {}
    return client.post(f"{prefix}/write/{country}/letters", data=data, headers=headers)


def submissions() -> list[Submission]:
    db.session.expire_all()
    return list(db.session.execute(db.select(Submission).order_by(Submission.id)).scalars())
