"""POST /webhooks/sendgrid/events: SendGrid's Event Webhook (signed JSON arrays)."""

from __future__ import annotations

import json
import logging

from flask import current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..services import events
from . import bp

log = logging.getLogger(__name__)

# SendGrid posts batches well under this; the limit keeps unsigned junk small.
MAX_EVENTS_BYTES = 8 * 1024 * 1024


@bp.route("/sendgrid/events", methods=["GET", "POST"])
def sendgrid_events():
    if request.method == "GET":
        # A reachability check for whoever configures the webhook; changes nothing.
        return jsonify(webhook="sendgrid events", method="POST")
    request.max_content_length = MAX_EVENTS_BYTES
    body = request.get_data()
    try:
        events.verify_signature(
            current_app.config.get("SENDGRID_WEBHOOK_PUBLIC_KEY"),
            body,
            request.headers.get(events.SIGNATURE_HEADER),
            request.headers.get(events.TIMESTAMP_HEADER),
        )
    except events.SignatureError as exc:
        log.warning("event webhook post refused: %s", exc)
        return jsonify(error="invalid signature"), 403
    try:
        # NaN and Infinity are not JSON, and PostgreSQL refuses to store them.
        items = json.loads(body, parse_constant=_not_json)
    except ValueError:
        return jsonify(error="the body is not JSON"), 400
    if not isinstance(items, list):
        return jsonify(error="expected a JSON array of events"), 400
    try:
        result = events.record_events(items)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("delivery events not stored: database error")
        return jsonify(error="temporarily unavailable"), 503
    return jsonify(received=result.received, stored=result.stored, duplicates=result.duplicates)


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")
