"""Catching up: evidence that arrived while its letter was still being sent is
applied later, and forwards of replies that failed are tried again. Run by the
clock (campaign.periodic, "reconcile_tracking")."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from campaign.core.extensions import db
from campaign.core.locks import exclusive
from campaign.delivery import digest_members
from campaign.models import DeliveryEvent, Letter, LetterState, LoggedResponse, Reply, SurveyAnswer
from campaign.models.base import utcnow
from campaign.tracking.letter_progress import FORWARD_FROM, advance_letter
from campaign.tracking.reply_forwarding import retry_forwards


def reconcile_states(days: int = 30) -> int:
    """Apply evidence that arrived while its letter was still being sent: letters
    sent (or delivered) in the last ``days`` days that have a delivery event, a
    reply, a survey "yes" or a logged response saying they are further along.
    Commits; returns how many letters moved."""
    cutoff = utcnow() - timedelta(days=days)
    open_letters = select(Letter.id).where(
        Letter.state.in_([s.value for s in FORWARD_FROM]), Letter.sent_at >= cutoff
    )
    replied = set(
        db.session.execute(
            select(Reply.letter_id).where(Reply.letter_id.in_(open_letters), Reply.kind == "human")
        ).scalars()
    )
    replied |= set(
        db.session.execute(
            select(SurveyAnswer.letter_id).where(
                SurveyAnswer.letter_id.in_(open_letters), SurveyAnswer.answer == "yes"
            )
        ).scalars()
    )
    replied |= set(
        db.session.execute(
            select(LoggedResponse.letter_id).where(LoggedResponse.letter_id.in_(open_letters))
        ).scalars()
    )
    bounced = set(
        db.session.execute(
            select(DeliveryEvent.letter_id).where(
                DeliveryEvent.letter_id.in_(open_letters),
                DeliveryEvent.severity == "hard",
                DeliveryEvent.event.in_(["bounce", "dropped"]),
            )
        ).scalars()
    )
    bounced |= set(
        db.session.execute(
            select(Reply.letter_id).where(
                Reply.letter_id.in_(open_letters), Reply.kind == "bounce", Reply.bounce == "hard"
            )
        ).scalars()
    )
    delivered = set(
        db.session.execute(
            select(DeliveryEvent.letter_id).where(
                DeliveryEvent.letter_id.in_(open_letters),
                or_(DeliveryEvent.event == "delivered", DeliveryEvent.event == "spamreport"),
            )
        ).scalars()
    )
    # An event about a digest's lead tells the fate of every letter it carried.
    bounced = digest_members.with_members(bounced)
    delivered = digest_members.with_members(delivered)
    moved = 0
    for letter_id in sorted(replied):
        moved += advance_letter(letter_id, LetterState.REPLIED, "human response recorded earlier")
    for letter_id in sorted(bounced - replied):
        moved += advance_letter(letter_id, LetterState.BOUNCED, "bounce recorded earlier")
    for letter_id in sorted(delivered - replied - bounced):
        moved += advance_letter(letter_id, LetterState.DELIVERED, "delivery recorded earlier")
    db.session.commit()
    return moved


def reconcile_job() -> int:
    """Periodic: reconcile_states, then retry forwards that are due."""
    with exclusive("tracking-reconcile") as mine:
        if not mine:
            return 0
        return reconcile_states() + retry_forwards()
