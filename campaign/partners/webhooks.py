"""Partners' webhook endpoints: added by admins (a URL the server may call, and a new
secret that signs every delivery to it), deactivated when no longer wanted."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.models import Partner, User, WebhookEndpoint
from campaign.partners import webhook_urls
from campaign.partners.webhook_signing import new_secret

# Active endpoints one partner may have: each event is sent to every one of them.
MAX_ACTIVE_ENDPOINTS = 5


class TooManyEndpoints(ValueError):
    pass


def allow_loopback() -> bool:
    return bool(current_app.config.get("WEBHOOKS_ALLOW_LOOPBACK"))


def add_endpoint(partner: Partner, url: str, user: User | None) -> WebhookEndpoint:
    """A new active endpoint of ``partner`` at ``url``, with a new secret. Raises
    webhook_urls.UnsafeURL when the server may not call ``url`` (resolved now), and
    TooManyEndpoints past MAX_ACTIVE_ENDPOINTS. Commits, with an audit entry."""
    url = url.strip()
    webhook_urls.check(url, allow_loopback())
    active = db.session.execute(
        select(func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.partner_id == partner.id, WebhookEndpoint.active.is_(True))
    ).scalar_one()
    if active >= MAX_ACTIVE_ENDPOINTS:
        raise TooManyEndpoints(url)
    endpoint = WebhookEndpoint(partner_id=partner.id, url=url, secret=new_secret(), active=True)
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        "webhook_added",
        "partner",
        partner.id,
        "webhook_added",
        {"id": endpoint.id, "partner": partner.name, "url": url},
        user=user,
    )
    db.session.commit()
    return endpoint


def deactivate_endpoint(endpoint: WebhookEndpoint, user: User | None) -> bool:
    """Stop sending to ``endpoint``: deliveries still pending for it are given up when
    their turn comes. Returns whether it changed. Commits, with an audit entry."""
    if not endpoint.active:
        return False
    endpoint.active = False
    audit.record(
        "webhook_deactivated",
        "partner",
        endpoint.partner_id,
        "webhook_deactivated",
        {"id": endpoint.id, "partner": endpoint.partner.name, "url": endpoint.url},
        user=user,
    )
    db.session.commit()
    return True


def endpoints_of(partner: Partner) -> list[WebhookEndpoint]:
    return list(
        db.session.execute(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.partner_id == partner.id)
            .order_by(WebhookEndpoint.active.desc(), WebhookEndpoint.id.desc())
        ).scalars()
    )
