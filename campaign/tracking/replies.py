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
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import or_, select, update

from campaign.core.extensions import db
from campaign.core.mail import OutgoingMessage, PermanentMailError, TransientMailError, get_backend
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit, job
from campaign.models import Letter, LetterState, LoggedResponse, Reply
from campaign.models.base import utcnow
from campaign.models.tracking import CHANNELS, REPLY_KINDS, STANCES
from campaign.supporters.supporter_mail import forward_sender_name, supporter_locale
from campaign.tracking import reply_tokens
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
MAX_FORWARD_ATTEMPTS = 5
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
    """The letters ``msg`` answers and how they were found ("" when none)."""
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
            _enqueue_forward(reply.id)
    elif reply.kind == "bounce" and reply.bounce == "hard":
        reason = f"bounce message: {reply.classification_reason}"[:500]
        advance_letter(letter.id, LetterState.BOUNCED, reason)
        flag_address(letter.representative_id, letter.representative.email, reason, "reply")


def _enqueue_forward(reply_id: int) -> None:
    enqueue_after_commit(NOTIFICATIONS, forward_reply_job, reply_id)


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


# -- forwarding ---------------------------------------------------------------


def forward_message(reply: Reply) -> OutgoingMessage:
    """The representative's reply as mail to the supporter, answering to the
    representative."""
    letter = reply.letter
    supporter, rep = letter.supporter, letter.representative
    context = {
        "supporter_name": supporter.name,
        "representative": rep,
        "campaign": letter.campaign,
        "letter": letter,
        "reply": reply,
    }
    with force_locale(supporter_locale(supporter)):
        subject = render_template("email/forward_subject.txt", **context).strip()
        text = render_template("email/forward.txt", **context)
        from_name = forward_sender_name(rep.name, letter.campaign)
    return OutgoingMessage(
        to_email=supporter.email,
        to_name=supporter.name,
        from_email=current_app.config["MAIL_FROM"],
        from_name=from_name[:200],
        reply_to_email=reply.from_addr or rep.email,
        reply_to_name=reply.from_name or rep.name,
        subject=" ".join(subject.split())[:900],
        text=text,
        kind="forward",
    )


def _forwardable(reply: Reply) -> bool:
    letter = reply.letter
    if reply.kind != "human" or letter is None:
        return False
    supporter = letter.supporter
    return bool(supporter and supporter.email) and not getattr(supporter, "anonymised_at", None)


def forward_reply(reply_id: int) -> str:
    """Forward one human reply to its supporter, at most once. Returns "sent",
    "retry", "failed" or "skipped"."""
    now = utcnow()
    claimed = db.session.execute(
        update(Reply)
        .where(Reply.id == reply_id, Reply.forward_status == "pending")
        .values(
            forward_status="sending",
            forward_claimed_at=now,
            forward_attempts=Reply.forward_attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return "skipped"
    db.session.commit()
    reply = db.session.get(Reply, reply_id)
    if not _forwardable(reply):
        reply.forward_status = "skipped"
        db.session.commit()
        return "skipped"
    try:
        get_backend().send(forward_message(reply))
    except TransientMailError as exc:
        give_up = reply.forward_attempts >= MAX_FORWARD_ATTEMPTS
        reply.forward_status = "failed" if give_up else "pending"
        db.session.commit()
        log.warning("reply %s not forwarded yet: %s", reply.id, exc)
        return "failed" if give_up else "retry"
    except PermanentMailError as exc:
        reply.forward_status = "failed"
        db.session.commit()
        log.warning("reply %s could not be forwarded: %s", reply.id, exc)
        return "failed"
    reply.forward_status = "sent"
    reply.forwarded_at = utcnow()
    db.session.commit()
    log.info("reply %s forwarded", reply.id)
    return "sent"


@job
def forward_reply_job(reply_id: int) -> str:
    return forward_reply(reply_id)


def retry_forwards() -> int:
    """Enqueue forwards that are due again: pending for over 5 minutes, or left
    `sending` for over 15 by a worker that died. Commits; returns how many."""
    now = utcnow()
    stuck = db.session.execute(
        update(Reply)
        .where(
            Reply.forward_status == "sending",
            Reply.forward_claimed_at < now - timedelta(minutes=15),
        )
        .values(forward_status="pending")
        .execution_options(synchronize_session=False)
    )
    due = (
        db.session.execute(
            select(Reply.id).where(
                Reply.forward_status == "pending",
                Reply.received_at < now - timedelta(minutes=5),
                Reply.received_at > now - timedelta(days=3),
                or_(
                    Reply.forward_claimed_at.is_(None),
                    Reply.forward_claimed_at < now - timedelta(minutes=5),
                ),
            )
        )
        .scalars()
        .all()
    )
    for reply_id in due:
        _enqueue_forward(reply_id)
    db.session.commit()
    return len(due) + stuck.rowcount


# -- the staff inbox ----------------------------------------------------------

INBOX_COLUMNS = (
    "received_at",
    "reply_id",
    "letter_id",
    "classification",
    "bounce",
    "stance",
    "matched_by",
    "campaign",
    "representative",
    "from",
    "subject",
    "forward_status",
)


@dataclass
class InboxFilters:
    kind: str = ""  # human | automatic | bounce | unread ("" for all)
    stance: str = ""  # a stance, "none" for human replies without one, "" for all
    matched: str = ""  # matched | unmatched | ""
    campaign_id: int | None = None


def inbox_query(filters: InboxFilters):
    """Replies matching ``filters``, newest first (a select of Reply)."""
    from campaign.models import Campaign, Representative

    query = (
        select(Reply, Letter, Representative, Campaign)
        .outerjoin(Letter, Letter.id == Reply.letter_id)
        .outerjoin(Representative, Representative.id == Letter.representative_id)
        .outerjoin(Campaign, Campaign.id == Letter.campaign_id)
        .order_by(Reply.received_at.desc(), Reply.id.desc())
    )
    if filters.kind == "unread":
        query = query.where(Reply.kind.is_(None))
    elif filters.kind in REPLY_KINDS:
        query = query.where(Reply.kind == filters.kind)
    if filters.stance == "none":
        query = query.where(Reply.kind == "human", Reply.stance.is_(None))
    elif filters.stance in STANCES:
        query = query.where(Reply.stance == filters.stance)
    if filters.matched == "matched":
        query = query.where(Reply.letter_id.is_not(None))
    elif filters.matched == "unmatched":
        query = query.where(Reply.letter_id.is_(None))
    if filters.campaign_id is not None:
        query = query.where(Letter.campaign_id == filters.campaign_id)
    return query


def inbox(filters: InboxFilters, page: int = 1, per_page: int = 50):
    """(rows of (reply, letter, representative, campaign), total count) for one page."""
    from sqlalchemy import func

    query = inbox_query(filters)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = db.session.execute(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return rows, total


def inbox_rows(filters: InboxFilters, limit: int = 100_000) -> list[dict]:
    """The inbox as plain rows (for CSV and the command line)."""
    rows = []
    for reply, _letter, rep, campaign in db.session.execute(inbox_query(filters).limit(limit)):
        rows.append(
            {
                "received_at": reply.received_at.isoformat(timespec="seconds"),
                "reply_id": reply.id,
                "letter_id": reply.letter_id or "",
                "classification": reply.kind or "",
                "bounce": reply.bounce,
                "stance": reply.stance or "",
                "matched_by": reply.matched_by,
                "campaign": campaign.slug if campaign else "",
                "representative": rep.name if rep else "",
                "from": reply.from_addr,
                "subject": reply.subject,
                "forward_status": reply.forward_status,
            }
        )
    return rows
