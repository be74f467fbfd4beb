"""A supporter's data: what we hand them, what we erase on request, and what we
erase on our own after a while (docs/privacy.md).

* export: their supporter record and their letters (text, states, dates) as JSON;
* erasure on request: consents to hear from partners withdrawn, then deleted;
  letters not yet sent are cancelled, every letter's subject and text removed
  (and the signatures of their personal paragraphs), the supporter's name, email
  and city replaced;
* retention (periodic, one process at a time): a letter's subject and text, and
  the quoted part of any reply to it, RETENTION_LETTER_DAYS after the letter was
  finished; a supporter anonymised RETENTION_SUPPORTER_WEEKS after their last
  activity; the hashed client addresses of submissions after IP_HASH_RETENTION_HOURS.

What stays is what the reports count: letters with their state, recipient,
campaign, template version and dates, and their state changes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from campaign.core import tokens
from campaign.core.extensions import db
from campaign.core.mail import OutgoingMessage, get_backend
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit, job
from campaign.core.urls import public_url
from campaign.letters import digests
from campaign.models import Digest, Letter, LetterEvent, LetterState, Submission, Supporter
from campaign.models.base import utcnow
from campaign.partners import consent
from campaign.supporters import similarity
from campaign.supporters.supporter_mail import supporter_message

S = LetterState
# Nothing more will be sent for a letter in one of these states: its text has done its job.
FINISHED = frozenset(
    {S.SENT, S.DELIVERED, S.BOUNCED, S.REPLIED, S.FAILED, S.CANCELLED, S.EXPIRED, S.REJECTED}
)
_FINISHED_VALUES = sorted(s.value for s in FINISHED)
# Not yet sent, and still stoppable.
UNSENT = (
    S.AWAITING_CONFIRMATION,
    S.HELD,
    S.AWAITING_DIGEST,
    S.IN_DIGEST,
    S.QUEUED,
    S.HELD_ADDRESS,
)
ANONYMOUS_DOMAIN = "anonymised.invalid"


class ErasureDeferred(RuntimeError):
    """A letter is being handed to the mail provider right now; try again in a few minutes."""


# -- export ---------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_supporter(supporter: Supporter) -> dict:
    """Everything we hold about ``supporter``: their record and their letters."""
    letters = db.session.execute(
        db.select(Letter).filter_by(supporter_id=supporter.id).order_by(Letter.id)
    ).scalars()
    return {
        "supporter": {
            "name": supporter.name,
            "email": supporter.email,
            "city": supporter.city,
            "language": supporter.locale,
            "first_letter_at": _iso(supporter.created_at),
            "last_activity_at": _iso(supporter.last_activity_at),
            "anonymised_at": _iso(supporter.anonymised_at),
        },
        "letters": [
            {
                "to": letter.representative.name,
                "body": letter.representative.body.name,
                "campaign": letter.campaign.title,
                "language": letter.language,
                "subject": letter.subject,
                "text": letter.body,
                # Its entry in the representative's daily digest, when it went in one.
                "digest_entry": letter.digest_entry,
                "text_removed_at": _iso(letter.text_removed_at),
                "state": letter.state,
                "written_at": _iso(letter.created_at),
                "sent_at": _iso(letter.sent_at),
                "history": [
                    {"state": event.to_state, "at": _iso(event.created_at)}
                    for event in letter.events
                ],
            }
            for letter in letters
        ],
        # Partners the supporter agreed may email them, with the words they agreed to.
        "partner_consents": consent.export(supporter),
        "about": (
            "Everything this service holds about you. Your connection's address is never "
            "stored; a keyed hash of it is kept for at most "
            f"{current_app.config['IP_HASH_RETENTION_HOURS']} hours to stop abuse."
        ),
    }


# -- erasure --------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    cancelled: int
    texts_removed: int


def _remove_text(letter: Letter, now) -> bool:
    if letter.text_removed_at is not None:
        return False
    letter.subject = ""
    letter.body = ""
    letter.digest_entry = None
    letter.text_removed_at = now
    return True


def _anonymise(supporter: Supporter, now) -> None:
    supporter.name = ""
    supporter.city = ""
    # Unique, and can never receive mail (.invalid is reserved).
    supporter.email = f"{secrets.token_hex(12)}@{ANONYMOUS_DOMAIN}"
    supporter.anonymised_at = now


def erase_supporter(supporter: Supporter) -> Erasure:
    """Erase a supporter at their request: cancel their letters not yet sent, remove
    the subject and text of all their letters and the quotations in replies to them,
    replace their name, email and city, delete their consents to hear from partners.
    Commits. The consents are withdrawn first, in a commit of their own, so the
    partners hear of it while they still exist; that stands even when the rest waits.
    Raises ErasureDeferred (changing nothing more) while one of their letters is being
    sent."""
    consent.withdraw_all(supporter)
    letters = list(
        db.session.execute(
            db.select(Letter)
            .filter_by(supporter_id=supporter.id)
            .order_by(Letter.id)
            .with_for_update()
        ).scalars()
    )
    if any(letter.state == S.SENDING for letter in letters) or digests.under_way(letters):
        db.session.rollback()
        raise ErasureDeferred("a letter is being sent")
    now = utcnow()
    cancelled = removed = 0
    for letter in letters:
        if letter.state in UNSENT:
            letter.transition(S.CANCELLED, "the supporter deleted their data")
            cancelled += 1
        removed += _remove_text(letter, now)
    db.session.flush()
    # Digests not sent yet are written again without them; sent ones lose their text.
    in_digests = [letter.digest_id for letter in letters if letter.digest_id is not None]
    digests.recompose(in_digests)
    digests.remove_texts(
        Digest.id.in_(in_digests)
        & Digest.lead_letter_id.in_(
            db.select(Letter.id).where(Letter.sent_at.is_not(None), Letter.digest_id == Digest.id)
        ),
        now,
    )
    _clear_reply_quotes([letter.id for letter in letters])
    _forget_supporter_extras(supporter.id)
    similarity.forget_supporter(supporter.id)
    db.session.execute(
        db.update(Submission)
        .where(Submission.supporter_id == supporter.id)
        .values(ip_hash=None, network_hash=None)
    )
    consent.forget(supporter.id)
    _anonymise(supporter, now)
    db.session.commit()
    return Erasure(cancelled=cancelled, texts_removed=removed)


def _clear_reply_quotes(letter_ids: list[int]) -> int:
    """Replies quote the letter: keep only the reply's own text. (Hook for the reply
    records of services.track; nothing to do where they do not exist.)"""
    if not letter_ids:
        return 0
    try:
        from campaign.models.tracking import Reply
    except ImportError:  # pragma: no cover - replies not tracked in this build
        return 0
    replies = (
        db.session.execute(db.select(Reply).filter(Reply.letter_id.in_(letter_ids))).scalars().all()
    )
    for reply in replies:
        reply.text = reply.own_text or ""
        reply.html = ""
        reply.raw = b""
    return len(replies)


def _forget_supporter_extras(supporter_id: int) -> None:
    """Survey answers keep their answer (the reports count it), not the supporter's note;
    replies waiting to be forwarded to the supporter are not forwarded any more."""
    try:
        from campaign.models.tracking import Reply, SurveyAnswer, SurveyInvitation
    except ImportError:  # pragma: no cover
        return
    invitations = db.select(SurveyInvitation.id).filter(
        SurveyInvitation.supporter_id == supporter_id
    )
    db.session.execute(
        db.update(SurveyAnswer)
        .where(SurveyAnswer.invitation_id.in_(invitations))
        .values(note="")
        .execution_options(synchronize_session=False)
    )
    their_letters = db.select(Letter.id).filter(Letter.supporter_id == supporter_id)
    db.session.execute(
        db.update(Reply)
        .where(Reply.letter_id.in_(their_letters), Reply.forward_status == "pending")
        .values(forward_status="skipped")
        .execution_options(synchronize_session=False)
    )


# -- retention (periodic) -------------------------------------------------------------

BATCH = 500


def remove_old_letter_texts() -> int:
    """Remove subject and text of letters finished more than RETENTION_LETTER_DAYS ago
    (finished: sent, or ended unsent), and the quotations in replies to them."""
    from campaign.core.locks import exclusive

    with exclusive("retention-letters") as mine:
        if not mine:
            return 0
        cutoff = utcnow() - timedelta(days=current_app.config["RETENTION_LETTER_DAYS"])
        finished_before_cutoff = db.select(LetterEvent.letter_id).filter(
            LetterEvent.to_state.in_(_FINISHED_VALUES), LetterEvent.created_at <= cutoff
        )
        finished_leads = db.select(Letter.id).filter(Letter.state.in_(_FINISHED_VALUES))
        digests.remove_texts(
            (Digest.created_at <= cutoff) & Digest.lead_letter_id.in_(finished_leads), utcnow()
        )
        db.session.commit()
        total = 0
        while True:
            letters = (
                db.session.execute(
                    db.select(Letter)
                    .filter(
                        Letter.text_removed_at.is_(None),
                        Letter.state.in_(_FINISHED_VALUES),
                        Letter.id.in_(finished_before_cutoff),
                    )
                    .order_by(Letter.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            if not letters:
                return total
            now = utcnow()
            for letter in letters:
                _remove_text(letter, now)
            _clear_reply_quotes([letter.id for letter in letters])
            similarity.forget_letters([letter.id for letter in letters])
            db.session.commit()
            total += len(letters)


def anonymise_inactive_supporters() -> int:
    """Anonymise supporters with no activity for RETENTION_SUPPORTER_WEEKS whose
    letters are all finished (and remove those letters' texts)."""
    from campaign.core.locks import exclusive

    with exclusive("retention-supporters") as mine:
        if not mine:
            return 0
        cutoff = utcnow() - timedelta(weeks=current_app.config["RETENTION_SUPPORTER_WEEKS"])
        still_sending = db.select(Letter.supporter_id).filter(Letter.state.not_in(_FINISHED_VALUES))
        supporters = (
            db.session.execute(
                db.select(Supporter)
                .filter(
                    Supporter.anonymised_at.is_(None),
                    Supporter.last_activity_at <= cutoff,
                    Supporter.id.not_in(still_sending),
                )
                .order_by(Supporter.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        now = utcnow()
        for supporter in supporters:
            letters = (
                db.session.execute(db.select(Letter).filter_by(supporter_id=supporter.id))
                .scalars()
                .all()
            )
            for letter in letters:
                _remove_text(letter, now)
            _clear_reply_quotes([letter.id for letter in letters])
            _forget_supporter_extras(supporter.id)
            similarity.forget_supporter(supporter.id)
            consent.forget(supporter.id)
            _anonymise(supporter, now)
        db.session.commit()
        return len(supporters)


def clear_old_ip_hashes() -> int:
    """Forget where submissions came from once the abuse rules no longer look at them."""
    from campaign.core.locks import exclusive

    with exclusive("retention-ip-hashes") as mine:
        if not mine:
            return 0
        cutoff = utcnow() - timedelta(hours=current_app.config["IP_HASH_RETENTION_HOURS"])
        result = db.session.execute(
            db.update(Submission)
            .where(
                Submission.created_at <= cutoff,
                (Submission.ip_hash.is_not(None)) | (Submission.network_hash.is_not(None)),
            )
            .values(ip_hash=None, network_hash=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return result.rowcount or 0


# -- the link to "your data" ----------------------------------------------------------


def find_supporter(email: str) -> Supporter | None:
    email = (email or "").strip().lower()
    if not email or email.endswith("@" + ANONYMOUS_DOMAIN):
        return None
    return db.session.execute(db.select(Supporter).filter_by(email=email)).scalar_one_or_none()


def request_data_link(email: str) -> None:
    """Mail a link to the "your data" page to ``email`` if a supporter has it; do
    the same amount of work either way, so nobody can learn whether it exists."""
    supporter = find_supporter(email)
    enqueue_after_commit(NOTIFICATIONS, send_data_link_job, supporter.id if supporter else None)
    db.session.commit()


def send_data_link_later(supporter_id: int) -> None:
    """Mail the "your data" link to a supporter already known (from their status link)."""
    enqueue_after_commit(NOTIFICATIONS, send_data_link_job, supporter_id)
    db.session.commit()


def data_link_message(supporter: Supporter) -> OutgoingMessage:
    return supporter_message(
        supporter,
        "data_link",
        "data-link",
        supporter_name=supporter.name,
        data_url=public_url(
            "supporters.your_data", token=tokens.make_token(tokens.SUPPORTER_DATA, supporter.id)
        ),
        hours=current_app.config["DATA_LINK_MAX_AGE_HOURS"],
    )


def send_data_link(supporter_id: int | None) -> bool:
    """Mail the "your data" link to the supporter; False when there is nobody to mail."""
    supporter = db.session.get(Supporter, supporter_id) if supporter_id else None
    if supporter is None or supporter.anonymised_at is not None:
        return False
    get_backend().send(data_link_message(supporter))
    return True


@job
def send_data_link_job(supporter_id: int | None) -> bool:
    return send_data_link(supporter_id)
