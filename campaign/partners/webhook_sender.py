"""Webhook deliveries: recorded in the database first, sent by RQ jobs, retried with
exponential backoff, given up (``failed``) after WEBHOOK_MAX_ATTEMPTS attempts.

The database is the record; RQ only wakes the sender. A job is enqueued after the
commit that records a delivery, and again (delayed) after a failed attempt; the
clock's sweep (wake_due, every 30 seconds) enqueues every pending delivery that is
due, so a delivery whose wake-up Redis lost is still sent.

A worker takes a delivery by compare-and-set: the update that counts the attempt
also moves ``next_attempt_at`` past the request's longest possible duration (the
lease), and succeeds only for the one worker that found it due; its outcome is
written only if nobody took the delivery meanwhile. So a delivery is sent once per
attempt, and once it succeeded never again. The payload (a supporter's name and
address) is erased once the delivery is delivered or given up."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from campaign.core.extensions import db
from campaign.core.locks import exclusive
from campaign.core.queues import JOB_TTL, WEBHOOKS, enqueue_after_commit, get_queue, job
from campaign.models import PartnerConsent, Supporter, WebhookDelivery, WebhookEndpoint
from campaign.models.base import utcnow
from campaign.partners import webhook_http, webhook_signing, webhook_urls

log = logging.getLogger(__name__)

CONFIRMED = "consent.confirmed"
WITHDRAWN = "consent.withdrawn"
EVENTS = (CONFIRMED, WITHDRAWN)
# The most deliveries one sweep wakes (and the most it lets wait in the queue).
SWEEP_LIMIT = 1000


def _timeout() -> float:
    return float(current_app.config.get("WEBHOOK_TIMEOUT", 5.0))


def lease_seconds() -> float:
    """How long a worker holds a delivery: well past the longest exchange (three
    timeouts: webhook_http.post), the look-up of its name included."""
    return 6 * _timeout() + 15


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: doubling from
    WEBHOOK_RETRY_BASE_SECONDS, at most WEBHOOK_RETRY_MAX_SECONDS."""
    config = current_app.config
    base = float(config.get("WEBHOOK_RETRY_BASE_SECONDS", 30.0))
    ceiling = float(config.get("WEBHOOK_RETRY_MAX_SECONDS", 21600.0))
    return min(base * 2 ** max(attempts - 1, 0), ceiling)


def record_deliveries(partner_id: int, event: str, payload: dict) -> list[WebhookDelivery]:
    """One pending delivery of ``payload`` to each active endpoint of the partner, each
    woken once the caller commits (the caller commits)."""
    endpoints = db.session.execute(
        select(WebhookEndpoint.id).where(
            WebhookEndpoint.partner_id == partner_id, WebhookEndpoint.active.is_(True)
        )
    ).scalars()
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    rows = [
        WebhookDelivery(endpoint_id=endpoint_id, event=event, payload=body, state="pending")
        for endpoint_id in endpoints
    ]
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        enqueue_after_commit(WEBHOOKS, send_delivery_job, row.id)
    return rows


def claim(delivery_id: int) -> WebhookDelivery | None:
    """Take a due pending delivery for one attempt (compare-and-set, committed);
    None if it is not due, not pending, or another worker took it first."""
    now = utcnow()
    taken = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(
            attempts=WebhookDelivery.attempts + 1,
            last_attempt_at=now,
            next_attempt_at=now + timedelta(seconds=lease_seconds()),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if taken.rowcount != 1:
        return None
    return db.session.get(WebhookDelivery, delivery_id)


def _finish(delivery: WebhookDelivery, attempts: int, **values) -> bool:
    """Write an attempt's outcome unless another worker took the delivery since."""
    written = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            WebhookDelivery.state == "pending",
            WebhookDelivery.attempts == attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if written.rowcount != 1:
        log.warning(
            "webhook delivery %s: its lease ran out during attempt %s", delivery.id, attempts
        )
    return written.rowcount == 1


def _give_up(delivery: WebhookDelivery, attempts: int, reason: str, status=None) -> str:
    _finish(
        delivery, attempts, state="failed", last_error=reason[:300], last_status=status, payload=""
    )
    return "failed"


def _failed_attempt(delivery: WebhookDelivery, attempts: int, status, reason: str) -> str:
    if attempts >= int(current_app.config.get("WEBHOOK_MAX_ATTEMPTS", 12)):
        return _give_up(delivery, attempts, f"gave up after {attempts} attempts: {reason}", status)
    delay = backoff(attempts)
    enqueue_after_commit(WEBHOOKS, send_delivery_job, delivery.id, delay=delay)
    _finish(
        delivery,
        attempts,
        next_attempt_at=utcnow() + timedelta(seconds=delay),
        last_status=status,
        last_error=reason[:300],
    )
    return "retry"


def _unwanted(delivery: WebhookDelivery) -> str:
    """Why a delivery must not go any more ("" if it may): its endpoint was
    deactivated, or a confirmation's consent was withdrawn or its supporter's data
    deleted or anonymised meanwhile (a withdrawal always goes)."""
    if not delivery.endpoint.active:
        return "the endpoint was deactivated"
    if delivery.event != CONFIRMED:
        return ""
    consent_id = json.loads(delivery.payload)["data"]["consent"]["id"]
    live = db.session.execute(
        select(func.count())
        .select_from(PartnerConsent)
        .join(Supporter, Supporter.id == PartnerConsent.supporter_id)
        .where(
            PartnerConsent.id == consent_id,
            PartnerConsent.withdrawn_at.is_(None),
            Supporter.anonymised_at.is_(None),
        )
    ).scalar_one()
    return "" if live else "the consent was withdrawn before delivery"


def deliver(delivery_id: int) -> str:
    """One attempt at a delivery, if it is due and nobody else holds it. Returns
    "delivered", "retry", "failed" or "skipped"."""
    delivery = claim(delivery_id)
    if delivery is None:
        return "skipped"
    attempts = delivery.attempts
    unwanted = _unwanted(delivery)
    if unwanted:
        return _give_up(delivery, attempts, unwanted)
    allow = bool(current_app.config.get("WEBHOOKS_ALLOW_LOOPBACK"))
    try:
        target = webhook_urls.check(delivery.endpoint.url, allow)
    except webhook_urls.UnsafeURL as exc:
        return _failed_attempt(delivery, attempts, None, f"not sent: {exc}")
    timeout = _timeout()
    lease_left = (delivery.next_attempt_at - utcnow()).total_seconds()
    if lease_left < 3 * timeout + 5:
        # The name took too long to resolve: the lease might run out mid-request.
        return _failed_attempt(delivery, attempts, None, "not sent: too little time left")
    body = delivery.payload.encode("utf-8")
    headers = webhook_signing.headers(
        delivery.endpoint.secret, delivery.id, delivery.event, int(time.time()), body
    )
    answer = webhook_http.post(target, body, headers, timeout)
    log.info(
        "webhook delivery %s (endpoint %s, %s) attempt %s: %s in %.2f s",
        delivery.id,
        delivery.endpoint_id,
        delivery.event,
        attempts,
        answer.status if not answer.error else answer.error,
        answer.seconds,
    )
    if answer.error:
        return _failed_attempt(delivery, attempts, answer.status, answer.error)
    _finish(
        delivery,
        attempts,
        state="delivered",
        delivered_at=utcnow(),
        last_status=answer.status,
        last_error="",
        payload="",
    )
    return "delivered"


@job
def send_delivery_job(delivery_id: int) -> str:
    return deliver(delivery_id)


def wake_due(limit: int = SWEEP_LIMIT) -> int:
    """Enqueue a job for each pending delivery that is due (the clock runs this every
    30 seconds, under a lock), keeping at most ``limit`` waiting in the queue.
    Returns how many it enqueued."""
    with exclusive("webhook_sweep", ttl_seconds=60) as mine:
        if not mine:
            return 0
        queue = get_queue(WEBHOOKS)
        room = limit - queue.count
        if room <= 0:
            return 0
        due = list(
            db.session.execute(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= utcnow()
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(room)
            ).scalars()
        )
        db.session.rollback()
        for delivery_id in due:
            queue.enqueue(send_delivery_job, delivery_id, ttl=JOB_TTL)
        return len(due)
