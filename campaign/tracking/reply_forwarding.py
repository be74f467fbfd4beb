"""A human reply is forwarded to the supporter who wrote the letter, with the
representative as Reply-To; a forward that fails for a passing reason is tried
again (retry_forwards, run by the catch-up), up to MAX_FORWARD_ATTEMPTS times."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import or_, select, update

from campaign.core.extensions import db
from campaign.core.mail import OutgoingMessage, PermanentMailError, TransientMailError, get_backend
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit, job
from campaign.models import Letter, Reply, Supporter
from campaign.models.base import utcnow
from campaign.supporters.supporter_mail import forward_sender_name, supporter_locale

log = logging.getLogger(__name__)

MAX_FORWARD_ATTEMPTS = 5


def enqueue_forward(reply_id: int) -> None:
    enqueue_after_commit(NOTIFICATIONS, forward_reply_job, reply_id)


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
        # A reply to a digest goes without its quotation, which lists other
        # supporters (see _names_others).
        "reply_text": reply.own_text if letter.digest_id is not None else reply.text,
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
    if _names_others(reply):
        reply.forward_status = "held"
        db.session.commit()
        log.info("reply %s held for staff: it names other supporters of its digest", reply.id)
        return "held"
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


def _names_others(reply: Reply) -> bool:
    """Whether a reply to a digest, without its quotation, still names another
    supporter of the digest (an office that answered inside the quoted text, or
    wrote to them by name): then staff look at it instead of it being forwarded,
    so that nobody's name reaches another supporter."""
    letter = reply.letter
    if letter.digest_id is None:
        return False
    names = db.session.execute(
        select(Supporter.name)
        .join(Letter, Letter.supporter_id == Supporter.id)
        .where(Letter.digest_id == letter.digest_id, Letter.id != letter.id)
    ).scalars()
    text = " ".join(reply.own_text.split()).casefold()
    return any(
        len(name) >= 3 and name in text
        for name in (" ".join((n or "").split()).casefold() for n in names)
    )


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
        enqueue_forward(reply_id)
    db.session.commit()
    return len(due) + stuck.rowcount
