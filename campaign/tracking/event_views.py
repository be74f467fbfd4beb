"""POST /webhooks/sendgrid/events: SendGrid's Event Webhook (signed JSON arrays).

A post is handled in bounded time: at most MAX_EVENTS_BYTES, nested at most
MAX_JSON_DEPTH deep (checked before parsing), and at most MAX_EVENTS_PER_POST new
events kept per post. SendGrid flushes a batch at about 768 KB, so a genuine post
stays under the first two; a batch with more new events than the third is answered
503 after its first MAX_EVENTS_PER_POST are kept, and SendGrid, which retries any
answer that is not 2xx, posts it again: what was kept is skipped as duplicates and
the next part is kept, until the whole batch is in.
"""

from __future__ import annotations

import json
import logging
import re

from flask import current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from campaign.core.blueprints.webhooks import bp
from campaign.core.extensions import db
from campaign.tracking import events

log = logging.getLogger(__name__)

MAX_EVENTS_BYTES = 2 * 1024 * 1024
MAX_JSON_DEPTH = 16  # an array of events holding objects holding a few arrays or objects
MAX_EVENTS_PER_POST = 5000
# A string (to its end, closed or not: never backtracking) or one bracket.
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[][{}]', re.S)


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
    if not _nested_within(body, MAX_JSON_DEPTH):
        return jsonify(error=f"JSON nested deeper than {MAX_JSON_DEPTH} levels"), 400
    try:
        # NaN and Infinity are not JSON, and PostgreSQL refuses to store them.
        items = json.loads(body, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return jsonify(error="the body is not JSON"), 400
    if not isinstance(items, list):
        return jsonify(error="expected a JSON array of events"), 400
    try:
        result = events.record_events(items, limit=MAX_EVENTS_PER_POST)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("delivery events not stored: database error")
        return jsonify(error="temporarily unavailable"), 503
    counts = {
        "received": result.received,
        "stored": result.stored,
        "duplicates": result.duplicates,
    }
    if result.deferred:
        # Not 2xx, so SendGrid posts the batch again; the events kept now are skipped then.
        message = f"at most {MAX_EVENTS_PER_POST} new events are kept per post: post again"
        response = jsonify(error=message, deferred=result.deferred, **counts)
        return response, 503, {"Retry-After": "60"}
    return jsonify(**counts)


def _nested_within(body: bytes, limit: int) -> bool:
    """Whether no array or object in ``body`` lies deeper than ``limit``, read
    without parsing (json.loads recurses once per level). Strings are removed first,
    so brackets inside them do not count; malformed JSON is left to the parser.
    Linear in the body's length, whatever it holds."""
    depth = 0
    for token in _STRING_OR_BRACKET.findall(body):
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return False
        elif token in (b"]", b"}"):
            depth -= 1
    return True


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")
