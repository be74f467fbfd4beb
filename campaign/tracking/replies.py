"""Replies to letters: find the letter, keep the message, classify it, act on it.

An inbound message is matched to letters, in this order, by the first source
that names any: the envelope recipients, then To and Cc (a genuine
``reply+TOKEN@`` address names one letter), then In-Reply-To, then References
(the Message-ID each letter went out with). A message that names no letter is
kept unmatched, for the staff inbox; one that cannot be read at all is kept as
it arrived, with the reason.

A human reply moves its letter to ``replied`` and is forwarded to the supporter
with the representative as Reply-To; a hard bounce moves it to ``bounced`` and
flags the address; anything else changes nothing but is kept.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select

from campaign.core.extensions import db
from campaign.delivery import digest_members, reply_tokens
from campaign.letters.digests import DIGEST_MAX_LETTERS
from campaign.models import Letter, LetterState, LoggedResponse, Reply
from campaign.models.base import utcnow
from campaign.models.tracking import CHANNELS, REPLY_KINDS, STANCES
from campaign.tracking import reply_forwarding
from campaign.tracking.inbound import (
    InboundMessage,
    InboundParseError,
    classify,
    from_inbound_parse,
    sanitize_html,
    strip_quoted,
)
from campaign.tracking.letter_progress import advance_letter, dialect_insert, flag_address

log = logging.getLogger(__name__)

MAX_LETTERS_PER_MESSAGE = 50
# The shortest message id prefix worth looking up (SendGrid's X-Message-Id is 22).
_MIN_ID_LENGTH = 10


@dataclass
class InboundResult:
    reply_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    matched: int = 0


# -- matching -----------------------------------------------------------------


def _id_candidates(message_ids: list[str]) -> list[str]:
    """The forms under which a letter's Message-ID may have been stored: whole
    (outbox, SMTP), or SendGrid's X-Message-Id, which starts its Message-ID."""
    out: list[str] = []
    for value in message_ids:
        bare = (value or "").strip().strip("<>").strip()
        for candidate in (bare, bare.split("@")[0], bare.split("@")[0].split(".")[0]):
            if len(candidate) >= _MIN_ID_LENGTH and candidate not in out:
                out.append(candidate[:200])
    return out


def match_letters(msg: InboundMessage) -> tuple[list[Letter], str]:
    """The letters ``msg`` answers and how they were found ("" when none). A reply
    to a digest answers every letter the digest carried."""
    letters, source = _named_letters(msg)
    digests = {letter.digest_id for letter in letters if digest_members.is_lead(letter)}
    if not digests:
        return letters, source
    # Also letters whose move to `sent` is not written yet (a quick reply overtaking
    # the worker's commit): the catch-up moves them once it is.
    carried = db.session.execute(
        select(Letter)
        .where(
            Letter.digest_id.in_(digests),
            Letter.state.not_in([LetterState.CANCELLED.value, LetterState.HELD_ADDRESS.value]),
        )
        .order_by(Letter.id)
        .limit(DIGEST_MAX_LETTERS * MAX_LETTERS_PER_MESSAGE)
    ).scalars()
    return list({letter.id: letter for letter in [*letters, *carried]}.values()), source


def _named_letters(msg: InboundMessage) -> tuple[list[Letter], str]:
    for source, addresses in (("envelope", msg.envelope_to), ("to", msg.to), ("cc", msg.cc)):
        ids = reply_tokens.letter_ids_in(addresses)[:MAX_LETTERS_PER_MESSAGE]
        if ids:
            letters = (
                db.session.execute(select(Letter).where(Letter.id.in_(ids)).order_by(Letter.id))
                .scalars()
                .all()
            )
            if letters:
                return list(letters), source
    for source, ids in (("in_reply_to", [msg.in_reply_to]), ("references", msg.references)):
        candidates = _id_candidates(ids[:50])
        if candidates:
            letters = (
                db.session.execute(
                    select(Letter)
                    .where(Letter.provider_message_id.in_(candidates))
                    .order_by(Letter.id)
                    .limit(MAX_LETTERS_PER_MESSAGE)
                )
                .scalars()
                .all()
            )
            if letters:
                return list(letters), source
    return [], ""


# -- storing ------------------------------------------------------------------


def _digest(fields: Mapping[str, bytes], raw: bytes) -> str:
    if raw.strip():
        return hashlib.sha256(raw).hexdigest()
    h = hashlib.sha256()
    for name in ("headers", "from", "to", "subject", "text", "html", "envelope"):
        h.update(name.encode() + b"\0" + bytes(fields.get(name) or b"") + b"\0")
    return h.hexdigest()


# Quote stripping takes about a second per 100 kB of text; a reply's own words
# come first, so only the beginning of a long text is examined.
STRIP_LIMIT = 100_000


def head_of(text: str) -> str:
    """The first STRIP_LIMIT characters of ``text``, cut at a line break."""
    if len(text) <= STRIP_LIMIT:
        return text
    head = text[:STRIP_LIMIT]
    return head[: head.rfind("\n")] if "\n" in head else head


def own_text_of(text: str) -> str:
    """The reply without the quotation of the letter (see campaign.tracking.inbound.quotes)."""
    try:
        return strip_quoted(head_of(text))
    except Exception:  # noqa: BLE001 - show the whole text instead
        return head_of(text)


def _insert(values: dict) -> int | None:
    # PostgreSQL text cannot hold NUL: a message carrying one is kept, not refused for ever.
    values = {
        k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v for k, v in values.items()
    }
    stmt = (
        dialect_insert(Reply)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Reply.id)
    )
    return db.session.execute(stmt).scalar()


def receive_inbound(fields: Mapping[str, bytes], body: bytes) -> InboundResult:
    """Store one Inbound Parse delivery (``fields``: every form part as bytes;
    ``body``: the request as received) and act on it. A delivery seen before is
    recognised and changes nothing. Commits; database errors propagate, so the
    caller can answer with a 5xx and SendGrid tries again."""
    try:
        msg = from_inbound_parse(fields)
    except InboundParseError as exc:
        return _store_unreadable(body, f"no message: {exc}"[:300])
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the message
        log.warning("inbound message could not be parsed (%s)", type(exc).__name__)
        return _store_unreadable(body, f"could not be parsed: {type(exc).__name__}")

    raw = bytes(fields.get("email") or b"")
    digest = _digest(fields, raw)
    try:
        verdict = classify(msg)
        kind, bounce, reason = verdict.kind, verdict.bounce, verdict.reason[:300]
    except Exception as exc:  # noqa: BLE001 - keep the message; staff classify it
        log.warning("inbound message could not be classified (%s)", type(exc).__name__)
        kind, bounce, reason = None, "", f"not classified: {type(exc).__name__}"
    own_text = own_text_of(msg.text)
    try:
        html = sanitize_html(msg.html) if msg.html else ""
    except Exception:  # noqa: BLE001 - the text is enough
        html = ""

    letters, matched_by = match_letters(msg)
    result = InboundResult(matched=len(letters))
    for letter in letters or [None]:
        forward = kind == "human" and letter is not None
        reply_id = _insert(
            {
                "letter_id": letter.id if letter else None,
                "received_at": utcnow(),
                "from_addr": msg.from_addr[:320],
                "from_name": msg.from_name[:200],
                "subject": msg.subject,
                "message_id": msg.message_id[:998],
                "text": msg.text,
                "own_text": own_text,
                "html": html,
                "kind": kind,
                "classified_kind": kind,
                "classification_reason": reason,
                "bounce": bounce,
                "matched_by": matched_by if letter else "",
                "raw": raw if raw.strip() else body,
                "dedupe_key": f"{digest}:{letter.id if letter else 0}",
                "forward_status": "pending" if forward else "",
            }
        )
        if reply_id is None:
            result.duplicates += 1
            continue
        result.reply_ids.append(reply_id)
        if letter is not None:
            _apply(db.session.get(Reply, reply_id))
    db.session.commit()
    log.info(
        "inbound message: %d stored, %d duplicates, %s",
        len(result.reply_ids),
        result.duplicates,
        f"matched by {matched_by}" if matched_by else "unmatched",
    )
    return result


def _store_unreadable(body: bytes, problem: str) -> InboundResult:
    digest = hashlib.sha256(body).hexdigest()
    reply_id = _insert(
        {
            "letter_id": None,
            "received_at": utcnow(),
            "kind": None,
            "parse_error": problem,
            "raw": body,
            "dedupe_key": f"{digest}:0",
        }
    )
    db.session.commit()
    log.info("inbound request kept unread: %s", problem)
    return InboundResult(reply_ids=[reply_id] if reply_id else [], duplicates=0 if reply_id else 1)


def _apply(reply: Reply) -> None:
    """What a matched reply does to its letter (the caller commits)."""
    letter = reply.letter
    if reply.kind == "human":
        advance_letter(letter.id, LetterState.REPLIED, "human reply received")
        if reply.forward_status == "pending":
            reply_forwarding.enqueue_forward(reply.id)
    elif reply.kind == "bounce" and reply.bounce == "hard":
        reason = f"bounce message: {reply.classification_reason}"[:500]
        advance_letter(letter.id, LetterState.BOUNCED, reason)
        flag_address(letter.representative_id, letter.representative.email, reason, "reply")


# -- staff corrections ----------------------------------------------------------


def set_kind(reply: Reply, kind: str, user_id: int | None) -> None:
    """Correct a reply's kind. Becoming human, a matched reply makes its letter
    replied and is forwarded (once); a human reply that is not one is no longer
    forwarded if it has not gone yet; a corrected bounce counts as a hard one.
    Commits. Raises ValueError for an unknown kind."""
    if kind not in REPLY_KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if reply.kind == kind:
        return
    reply.kind = kind
    reply.updated_by_id, reply.updated_at = user_id, utcnow()
    if kind == "human":
        if reply.letter_id and reply.forward_status in ("", "skipped"):
            reply.forward_status = "pending"
    else:
        reply.stance = None
        if reply.forward_status == "pending":
            reply.forward_status = "skipped"
        if kind == "bounce":
            reply.bounce = "hard"
    if reply.letter_id:
        _apply(reply)
    db.session.commit()


def set_stance(reply: Reply, stance: str | None, user_id: int | None) -> None:
    """Record the stance of a human reply (None clears it). Commits. Raises
    ValueError for an unknown stance or a reply that is not human."""
    if stance is not None and stance not in STANCES:
        raise ValueError(f"unknown stance {stance!r}")
    if stance is not None and reply.kind != "human":
        raise ValueError(gettext("only a human reply has a stance"))
    reply.stance = stance
    reply.updated_by_id, reply.updated_at = user_id, utcnow()
    db.session.commit()


def assign(reply: Reply, letter: Letter, user_id: int | None) -> None:
    """Match an unmatched reply to a letter by hand, with the effects of a match.
    Commits. Raises ValueError when the reply is matched already."""
    if reply.letter_id is not None:
        raise ValueError(gettext("this reply is matched already"))
    if letter.sent_at is None:
        raise ValueError(gettext("that letter was never sent"))
    dedupe_key = f"{reply.dedupe_key.split(':')[0]}:{letter.id}"
    if db.session.execute(select(Reply.id).where(Reply.dedupe_key == dedupe_key)).first():
        raise ValueError(gettext("this message is stored for that letter already"))
    reply.letter_id, reply.letter = letter.id, letter
    reply.matched_by = "staff"
    reply.dedupe_key = dedupe_key
    reply.updated_by_id, reply.updated_at = user_id, utcnow()
    if reply.kind == "human" and reply.forward_status in ("", "skipped"):
        reply.forward_status = "pending"
    db.session.flush()
    _apply(reply)
    db.session.commit()


def log_response(
    letter: Letter,
    channel: str,
    stance: str | None,
    note: str,
    occurred_at: datetime,
    user_id: int | None,
) -> LoggedResponse:
    """Record a response that did not come by email (a call, a paper letter). The
    letter becomes replied. Commits. Raises ValueError for an unknown channel or
    stance."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if stance is not None and stance not in STANCES:
        raise ValueError(f"unknown stance {stance!r}")
    response = LoggedResponse(
        letter_id=letter.id,
        channel=channel,
        stance=stance,
        note=note[:5000],
        occurred_at=occurred_at,
        created_by_id=user_id,
    )
    db.session.add(response)
    advance_letter(letter.id, LetterState.REPLIED, f"response logged by staff ({channel})")
    db.session.commit()
    return response
