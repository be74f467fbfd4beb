"""The API's routes (/api/v1/...) and its OpenAPI description (/api/openapi.json).
Every answer is JSON; docs/partners-api.md describes them for partners."""

from __future__ import annotations

from flask import abort, current_app, g, jsonify, request, url_for

from campaign.accounts import audit
from campaign.api import figures, openapi, people
from campaign.api.auth import campaign_of_partner, token_required
from campaign.core.blueprints.api import bp
from campaign.core.extensions import db
from campaign.models import Campaign
from campaign.models.base import utcnow

LISTING_PARAMETERS = {"since", "cursor", "limit"}


@bp.get("/openapi.json")
def openapi_description():
    return jsonify(openapi.description(current_app.config["PUBLIC_URL"]))


@bp.get("/v1/partner")
@token_required
def partner():
    token = g.api_token
    return jsonify(
        slug=token.partner.slug,
        name=token.partner.name,
        token={"prefix": token.prefix, "label": token.label, "scope": token.scope},
    )


def _campaign_entry(campaign: Campaign) -> dict:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return {
        "identifiers": [f"time-for-release:{campaign.slug}"],
        "slug": campaign.slug,
        "title": campaign.title,
        "browser_url": f"{base}/c/{campaign.slug}/via/{g.api_token.partner.slug}",
        "_links": {
            name: {"href": url_for(f".{endpoint}", slug=campaign.slug)}
            for name, endpoint in (
                ("figures", "campaign_figures"),
                ("partner_figures", "partner_figures"),
                ("people", "campaign_people"),
                ("withdrawals", "campaign_withdrawals"),
            )
        },
    }


@bp.get("/v1/campaigns")
@token_required
def campaigns():
    partner = g.api_token.partner
    rows = sorted(partner.campaigns, key=lambda c: c.slug)
    return jsonify(items=[_campaign_entry(c) for c in rows])


@bp.get("/v1/campaigns/<slug>/figures")
@token_required
def campaign_figures(slug: str):
    return jsonify(figures.campaign_figures(campaign_of_partner(slug), utcnow()))


@bp.get("/v1/campaigns/<slug>/partner-figures")
@token_required
def partner_figures(slug: str):
    campaign = campaign_of_partner(slug)
    return jsonify(figures.partner_figures(campaign, g.api_token.partner, utcnow()))


def _listing(slug: str, kind: str, lister):
    """A page of ``lister`` for the token's partner, its parameters checked, and
    the personal data it hands out written to the audit log with its count."""
    campaign = campaign_of_partner(slug)
    unknown = sorted(set(request.args) - LISTING_PARAMETERS)
    if unknown:
        abort(400, f"{unknown[0][:40]}: not a parameter of this listing")
    if any(len(request.args.getlist(name)) > 1 for name in request.args):
        abort(400, "each parameter may be given once")
    try:
        since = people.read_since(request.args.get("since"))
        cursor = people.read_cursor(kind, request.args.get("cursor"))
        limit = people.read_limit(request.args.get("limit"))
    except people.BadQuery as exc:
        abort(400, str(exc))
    token = g.api_token
    page = lister(token.partner, campaign, since, cursor, limit)
    g.api_records = len(page.items)
    entry = audit.record(
        "list",
        audit.PERSONAL_DATA,
        None,
        "api_listing",
        {"listing": kind, "campaign": campaign.slug, "partner": token.partner.slug},
    )
    entry.actor = f"API token {token.prefix}… ({token.partner.slug})"
    entry.records = len(page.items)
    db.session.commit()
    following = None
    if page.next_cursor:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        following = url_for(request.endpoint, slug=slug, cursor=page.next_cursor, **args)
    return jsonify(
        items=page.items,
        next_cursor=page.next_cursor,
        _links={"next": {"href": following}} if following else {},
    )


@bp.get("/v1/campaigns/<slug>/people")
@token_required
def campaign_people(slug: str):
    return _listing(slug, "people", people.people)


@bp.get("/v1/campaigns/<slug>/withdrawals")
@token_required
def campaign_withdrawals(slug: str):
    return _listing(slug, "withdrawals", people.withdrawals)
