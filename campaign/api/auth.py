"""Who is asking: the Bearer token on every API request, its partner's campaigns, the
rate limit per token, and one log line per request that names no person."""

from __future__ import annotations

import logging
import time
from functools import wraps

from flask import abort, current_app, g, jsonify, request
from sqlalchemy import select

from campaign.core.blueprints.api import bp
from campaign.core.extensions import db
from campaign.core.limits import client_key, keyed_hash, limiter
from campaign.models import Campaign, PartnerApiToken
from campaign.partners import tokens

log = logging.getLogger("campaign.api")


def _rate_key() -> str:
    """The presented token (hashed; the client address when none), so each token
    has its own allowance and a revoked or invented one gains nothing by rotating."""
    header = request.headers.get("Authorization", "")
    if header:
        return "api:" + keyed_hash("api-token", tokens.hash_of(header[:200]))
    return "api-" + client_key()


limiter.limit(
    lambda: current_app.config.get("API_RATE_LIMIT") or "60/minute;1000/hour",
    key_func=_rate_key,
    scope="api",
    error_message="Too many requests with this token; wait a little (see Retry-After).",
)(bp)


def refuse(status: int, code: str, reason: str):
    response = jsonify(error=code, reason=reason)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer realm="api", error="{code}"'
    return response


def token_required(view):
    """Let through requests with a live token; answer 401 with the reason otherwise.
    The view finds the token in ``g.api_token``."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        result = tokens.authenticate(request.headers.get("Authorization"))
        if isinstance(result, tokens.Refusal):
            g.api_outcome = result.code
            return refuse(401, result.code, result.reason)
        g.api_token = result
        return view(*args, **kwargs)

    return wrapped


def campaign_of_partner(slug: str) -> Campaign:
    """The campaign ``slug`` if the token's partner is attached to it: 404 for no such
    campaign, 403 for one of other partners."""
    if len(slug) > 80:
        abort(404, "No campaign has this slug.")
    campaign = db.session.execute(
        select(Campaign).where(Campaign.slug == slug)
    ).scalar_one_or_none()
    if campaign is None:
        abort(404, "No campaign has this slug.")
    token: PartnerApiToken = g.api_token
    if token.partner not in campaign.partners:
        abort(403, "This token's partner is not attached to this campaign.")
    return campaign


@bp.before_request
def _started():
    g.api_started = time.monotonic()


@bp.after_app_request
def _no_store(response):
    """No answer of the API is kept by a cache, a 404 for an unknown path included."""
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def _log(response):
    """One line per request: the route, the answer, the token's prefix and partner,
    how many records went out; never a query string, a name or an address."""
    token = g.get("api_token")
    log.info(
        "api %s %s %s token=%s partner=%s records=%s %.0f ms%s",
        request.method,
        request.url_rule.rule if request.url_rule else "-",
        response.status_code,
        token.prefix if token is not None else "-",
        token.partner_id if token is not None else "-",
        g.get("api_records", "-"),
        (time.monotonic() - g.get("api_started", time.monotonic())) * 1000,
        f" refused={g.api_outcome}" if g.get("api_outcome") else "",
    )
    return response
