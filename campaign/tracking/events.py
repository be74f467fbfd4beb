"""Delivery events from SendGrid's Event Webhook, and the rules that move a sent
letter forward (shared with replies, surveys and responses staff log).

Events arrive late, twice and out of order. Each one is kept once (by
``sg_event_id``); a letter's state only moves forward: sent → delivered →
bounced or replied, never back. An event that arrives before the worker has
recorded the letter as sent is kept and applied by tracking.catch_up.reconcile_states.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from campaign.core.extensions import db
from campaign.core.record_ids import record_id
from campaign.delivery import digest_members
from campaign.models import (
    DeliveryEvent,
    Letter,
    LetterState,
)
from campaign.models.base import utcnow
from campaign.tracking.letter_progress import advance_letter, dialect_insert, flag_address

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_SIGNATURE_AGE = 600  # seconds, either way

# What an event tells about a letter. "bounce" depends on its type (see _effect).
EVENT_STATES = {
    "delivered": LetterState.DELIVERED,
    # A spam report means it arrived.
    "spamreport": LetterState.DELIVERED,
    "dropped": LetterState.BOUNCED,
}
KNOWN_EVENTS = frozenset({"processed", "delivered", "deferred", "bounce", "dropped", "spamreport"})
# Rows per statement when looking up or inserting a batch's events.
_CHUNK = 1000


class SignatureError(Exception):
    """The request is not a genuine, fresh Event Webhook post."""


# -- signature ----------------------------------------------------------------


@lru_cache(maxsize=4)
def _verifier(public_key: str):
    from sendgrid.helpers.eventwebhook import EventWebhook

    return EventWebhook(public_key)


def verify_signature(
    public_key: str | None,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: float | None = None,
) -> None:
    """Check SendGrid's ECDSA signature over ``timestamp + body``. Raises
    SignatureError when no key is configured, a header is missing or malformed,
    the timestamp is more than 10 minutes off, or the signature does not match."""
    if not public_key:
        raise SignatureError("no public key configured")
    if not signature or not timestamp:
        raise SignatureError("missing signature headers")
    timestamp = timestamp.strip()
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("malformed timestamp")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_SIGNATURE_AGE:
        raise SignatureError("stale timestamp")
    try:
        base64.b64decode(signature, validate=True)
        payload = body.decode("utf-8")
        verifier = _verifier(public_key.strip())
        ok = verifier.verify_signature(payload, signature.strip(), timestamp)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise SignatureError("malformed signature or key") from None
    except Exception:  # noqa: BLE001 - the verifier raises what its crypto library raises
        raise SignatureError("signature could not be checked") from None
    if not ok:
        raise SignatureError("signature does not match")


# -- events -------------------------------------------------------------------


@dataclass
class EventsResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    moved: int = 0
    deferred: int = 0  # new events left for the next post of the batch (see record_events)


def _text(value, limit: int) -> str:
    # PostgreSQL text cannot hold NUL; a batch carrying one must not be refused for ever.
    return str(value or "").replace("\x00", "\ufffd")[:limit]


def _event_id(item: dict) -> str:
    given = _text(item.get("sg_event_id"), 100).strip()
    if given:
        return given[:100]
    digest = hashlib.sha256(json.dumps(item, sort_keys=True, default=str).encode()).hexdigest()
    return "sha256:" + digest


def _occurred(item: dict) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(item.get("timestamp")), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _severity(name: str, item: dict) -> str:
    if name == "bounce":
        # SendGrid: type "bounce" is permanent, "blocked" temporary.
        return "soft" if str(item.get("type") or "").lower() == "blocked" else "hard"
    if name == "dropped":
        return "hard"
    if name == "deferred":
        return "soft"
    return ""


def _effect(name: str, severity: str) -> LetterState | None:
    if name == "bounce":
        return LetterState.BOUNCED if severity == "hard" else None
    return EVENT_STATES.get(name)


def _letters_for(items: list[dict]) -> dict[int, Letter]:
    """Letters the events name, by their custom argument or SendGrid's message id."""
    ids, message_ids = set(), set()
    for item in items:
        letter_id = record_id(item.get("letter_id"))
        if letter_id is not None:
            ids.add(letter_id)
        elif item.get("sg_message_id"):
            message_ids.add(str(item["sg_message_id"]).split(".")[0][:200])
    found: dict[int, Letter] = {}
    if ids:
        query = select(Letter).options(joinedload(Letter.representative))
        for letter in db.session.execute(query.where(Letter.id.in_(ids))).scalars():
            found[letter.id] = letter
    if message_ids:
        query = (
            select(Letter)
            .options(joinedload(Letter.representative))
            .where(Letter.provider_message_id.in_(message_ids))
        )
        for letter in db.session.execute(query).scalars():
            found[letter.id] = letter
    return found


def _letter_of(item: dict, letters: dict[int, Letter]) -> Letter | None:
    letter_id = record_id(item.get("letter_id"))
    prefix = str(item.get("sg_message_id") or "").split(".")[0]
    if letter_id is not None:
        letter = letters.get(letter_id)
        # Another installation sharing the SendGrid account numbers its letters
        # too: an event for another message to another address belongs to it.
        if letter is not None and _foreign(item, letter, prefix):
            return None
        return letter
    if prefix:
        for letter in letters.values():
            if letter.provider_message_id == prefix:
                return letter
    return None


def _foreign(item: dict, letter: Letter, prefix: str) -> bool:
    recipient = str(item.get("email") or "").strip().lower()
    other_address = bool(recipient) and recipient != letter.representative.email.lower()
    other_message = bool(prefix and letter.provider_message_id) and (
        prefix != letter.provider_message_id.split(".")[0]
    )
    return other_address and other_message


def _stored_ids(keys: list[str]) -> set[str]:
    """Which of these event ids are kept already."""
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found.update(
            db.session.execute(
                select(DeliveryEvent.sg_event_id).where(DeliveryEvent.sg_event_id.in_(chunk))
            ).scalars()
        )
    return found


def record_events(items: list, limit: int | None = None) -> EventsResult:
    """Keep each new event of a batch once and apply what it says to its letter.
    Unknown events and events for unknown letters are kept too. Events kept
    before (SendGrid posting a batch again) are counted as duplicates and cost
    one lookup. With ``limit``, at most that many new events are kept; the
    others are counted in ``deferred`` and left for the batch's next post, which
    skips what this one kept. Commits."""
    result = EventsResult(received=len(items))
    keyed = [
        (_event_id(item), item)
        for item in (item if isinstance(item, dict) else {"value": item} for item in items)
    ]
    known = _stored_ids(list({key for key, _ in keyed}))
    fresh: list[tuple[str, dict]] = []
    for key, item in keyed:
        if key in known:
            result.duplicates += 1
            continue
        known.add(key)
        fresh.append((key, item))
    if limit is not None and len(fresh) > limit:
        result.deferred = len(fresh) - limit
        fresh = fresh[:limit]
    letters = _letters_for([item for _, item in fresh])
    now = utcnow()
    applied = []
    rows = []
    for key, item in fresh:
        name = _text(item.get("event") or "unknown", 40)
        letter = _letter_of(item, letters)
        severity = _severity(name, item)
        reason = _text(item.get("reason") or item.get("response"), 500)
        rows.append(
            {
                "sg_event_id": key,
                "letter_id": letter.id if letter else None,
                "event": name,
                "severity": severity,
                "reason": reason,
                "sg_message_id": _text(item.get("sg_message_id"), 200) or None,
                "occurred_at": _occurred(item),
                "received_at": now,
                "payload": item,
            }
        )
        applied.append((key, item, name, letter, severity, reason))
    stored: set[str] = set()
    if rows:
        # One executemany, which SQLAlchemy sends as multi-row INSERTs; a concurrent
        # post of the same events loses the race here and counts them as duplicates.
        stmt = (
            dialect_insert(DeliveryEvent)
            .on_conflict_do_nothing(index_elements=["sg_event_id"])
            .returning(DeliveryEvent.sg_event_id)
        )
        stored.update(db.session.execute(stmt, rows).scalars())
    result.stored = len(stored)
    result.duplicates += len(rows) - len(stored)
    for key, item, name, letter, severity, reason in applied:
        if key not in stored or letter is None:
            continue
        target = _effect(name, severity)
        if target is None:
            continue
        cause = f"{name} event" + (f": {reason}" if reason else "")
        # An event about a digest tells the fate of every letter it carried.
        for letter_id in digest_members.carried_by(letter):
            if advance_letter(letter_id, target, cause[:500]):
                result.moved += 1
        if target == LetterState.BOUNCED:
            recipient = str(item.get("email") or "") or letter.representative.email
            flag_address(letter.representative_id, recipient, cause, "event")
    db.session.commit()
    if result.received:
        log.info(
            "delivery events: %d received, %d stored, %d duplicates, %d deferred, %d letters moved",
            result.received,
            result.stored,
            result.duplicates,
            result.deferred,
            result.moved,
        )
    return result
