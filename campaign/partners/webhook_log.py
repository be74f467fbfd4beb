"""The webhook delivery log staff read: each delivery's event, endpoint, state,
attempts and last outcome, newest first. It shows no payload (those hold a
supporter's name and address, and are erased once a delivery is finished)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from campaign.core.extensions import db
from campaign.models import Partner, WebhookDelivery, WebhookEndpoint

STATES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class LogPage:
    rows: list  # (WebhookDelivery, WebhookEndpoint, Partner)
    page: int
    pages: int
    total: int
    counts: dict[str, int]


def deliveries(
    page: int = 1, per_page: int = 50, state: str | None = None, endpoint_id: int | None = None
) -> LogPage:
    # The counts by state are of every delivery shown (one endpoint's, or all).
    scope = [] if endpoint_id is None else [WebhookDelivery.endpoint_id == endpoint_id]
    counts = dict(
        db.session.execute(
            select(WebhookDelivery.state, func.count())
            .where(*scope)
            .group_by(WebhookDelivery.state)
        ).all()
    )
    where = [*scope, WebhookDelivery.state == state] if state in STATES else scope
    total = counts.get(state, 0) if state in STATES else sum(counts.values())
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        select(WebhookDelivery, WebhookEndpoint, Partner)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Partner, Partner.id == WebhookEndpoint.partner_id)
        .where(*where)
        .order_by(WebhookDelivery.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return LogPage(
        [tuple(row) for row in rows],
        page,
        pages,
        total,
        {name: counts.get(name, 0) for name in STATES},
    )
