"""POST /webhooks/sendgrid/inbound/<INBOUND_SECRET>: SendGrid Inbound Parse.

The answer is 2xx only once the message is stored, 5xx when it could not be
(SendGrid then tries again for up to 72 hours), never 4xx for a message that
could not be read: that one is kept as it arrived, for staff.
"""

from __future__ import annotations

import hmac
import logging

from flask import abort, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.formparser import FormDataParser, MultiPartParser

from campaign.core.blueprints.webhooks import bp
from campaign.core.extensions import db
from campaign.tracking import replies

log = logging.getLogger(__name__)

# SendGrid accepts messages up to 30 MB; the form around one adds a little.
MAX_INBOUND_BYTES = 40 * 1024 * 1024
MAX_INBOUND_PARTS = 10_000


class _ByteExactMultiPartParser(MultiPartParser):
    """Every field decoded as Latin-1, so its bytes come back exactly: the raw
    message keeps its 8-bit bytes, and each field is decoded later with the
    charset SendGrid declares for it."""

    def get_part_charset(self, headers) -> str:
        return "latin-1"


class _ByteExactFormDataParser(FormDataParser):
    def _parse_multipart(self, stream, mimetype, content_length, options):
        parser = _ByteExactMultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


def _as_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # an urlencoded post, decoded as UTF-8
        return value.encode("utf-8", "surrogateescape")


@bp.post("/sendgrid/inbound/<secret>")
def sendgrid_inbound(secret: str):
    expected = current_app.config.get("INBOUND_SECRET") or ""
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        abort(404)
    request.max_content_length = MAX_INBOUND_BYTES
    request.max_form_memory_size = MAX_INBOUND_BYTES
    request.max_form_parts = MAX_INBOUND_PARTS
    request.form_data_parser_class = _ByteExactFormDataParser
    body = request.get_data(cache=True)
    fields: dict[str, bytes] = {key: _as_bytes(value) for key, value in request.form.items()}
    for key, storage in request.files.items():
        fields.setdefault(key, storage.read())
    try:
        result = replies.receive_inbound(fields, body)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("inbound message not stored: database error")
        return jsonify(error="temporarily unavailable"), 503
    return jsonify(stored=len(result.reply_ids), duplicates=result.duplicates)
