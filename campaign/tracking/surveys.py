"""Follow-up surveys. Some representatives answer by post, by phone, or from an
address we never see; so, as WriteToThem does, we ask the supporter.

SURVEY_AFTER_DAYS (14) after their letters were sent, a supporter gets one email
listing the representatives whose reply we have not captured, with a signed link
to a page where they say whether each answered (yes, with an optional note; no;
only an automatic reply; not yet). One reminder follows SURVEY_REMINDER_AFTER_DAYS
(7) later if something is still unanswered. Opening the link changes nothing:
answers are recorded by the page's form. A captured human reply takes a
representative off the survey.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, select

from campaign.core import tokens
from campaign.core.extensions import db
from campaign.core.mail import OutgoingMessage, get_backend
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit, job
from campaign.core.urls import public_url
from campaign.models import Letter, LetterState, Reply, SurveyAnswer, SurveyInvitation
from campaign.models.base import utcnow
from campaign.models.tracking import SURVEY_ANSWERS
from campaign.supporters.supporter_mail import supporter_message
from campaign.tracking.letter_progress import advance_letter

PURPOSE = "survey-invitation"
NOTE_MAX = 2000


def setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def survey_token(invitation_id: int) -> str:
    return tokens.make_token(PURPOSE, invitation_id)


def read_survey_token(token: str) -> int:
    """The invitation id of a genuine, unexpired link; raises tokens.InvalidToken
    (or tokens.ExpiredToken)."""
    max_age = setting("SURVEY_LINK_MAX_AGE_DAYS", 90) * 86400
    return tokens.read_token(PURPOSE, token, max_age)


def _human_reply(letter_id_column):
    return exists().where(Reply.letter_id == letter_id_column, Reply.kind == "human")


def open_answers(invitation: SurveyInvitation) -> list[SurveyAnswer]:
    """The invitation's questions still worth asking: letters whose human reply
    we have not captured."""
    ids = [answer.letter_id for answer in invitation.answers]
    if not ids:
        return []
    captured = set(
        db.session.execute(
            select(Reply.letter_id).where(Reply.letter_id.in_(ids), Reply.kind == "human")
        ).scalars()
    )
    return [a for a in invitation.answers if a.letter_id not in captured]


def _unanswered(answers: list[SurveyAnswer]) -> list[SurveyAnswer]:
    return [a for a in answers if a.answer in (None, "not_yet")]


def create_invitations(limit: int = 1000) -> int:
    """Invite supporters whose letters were sent SURVEY_AFTER_DAYS ago (and not
    longer than SURVEY_WINDOW_DAYS before that), one invitation per supporter for
    all such letters not asked about yet. Commits; returns how many invitations."""
    now = utcnow()
    due = now - timedelta(days=setting("SURVEY_AFTER_DAYS", 14))
    oldest = due - timedelta(days=setting("SURVEY_WINDOW_DAYS", 30))
    rows = db.session.execute(
        select(Letter.id, Letter.supporter_id)
        .where(
            Letter.state.in_([LetterState.SENT.value, LetterState.DELIVERED.value]),
            Letter.sent_at <= due,
            Letter.sent_at > oldest,
            ~exists().where(SurveyAnswer.letter_id == Letter.id),
            ~_human_reply(Letter.id),
        )
        .order_by(Letter.supporter_id, Letter.id)
        .limit(limit * 20)
    ).all()
    by_supporter: dict[int, list[int]] = defaultdict(list)
    for letter_id, supporter_id in rows:
        by_supporter[supporter_id].append(letter_id)
    if len(rows) == limit * 20 and len(by_supporter) > 1:
        # The last supporter's letters may be cut off: they are asked next time, together.
        by_supporter.pop(rows[-1][1])
    created = 0
    for supporter_id, letter_ids in list(by_supporter.items())[:limit]:
        invitation = SurveyInvitation(supporter_id=supporter_id, sent_at=now)
        db.session.add(invitation)
        db.session.flush()
        db.session.add_all(
            SurveyAnswer(invitation_id=invitation.id, letter_id=letter_id)
            for letter_id in letter_ids
        )
        _enqueue(invitation.id, reminder=False)
        created += 1
    db.session.commit()
    return created


def due_reminders(limit: int = 1000) -> int:
    """One reminder per invitation, SURVEY_REMINDER_AFTER_DAYS after it, when a
    question is still unanswered (or answered "not yet"). Commits; returns how many."""
    now = utcnow()
    due = now - timedelta(days=setting("SURVEY_REMINDER_AFTER_DAYS", 7))
    pending = exists().where(
        SurveyAnswer.invitation_id == SurveyInvitation.id,
        (SurveyAnswer.answer.is_(None)) | (SurveyAnswer.answer == "not_yet"),
        ~_human_reply(SurveyAnswer.letter_id),
    )
    invitations = (
        db.session.execute(
            select(SurveyInvitation)
            .where(
                SurveyInvitation.sent_at <= due,
                SurveyInvitation.sent_at > due - timedelta(days=30),
                SurveyInvitation.reminder_sent_at.is_(None),
                pending,
            )
            .order_by(SurveyInvitation.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for invitation in invitations:
        invitation.reminder_sent_at = now
        _enqueue(invitation.id, reminder=True)
    db.session.commit()
    return len(invitations)


def _enqueue(invitation_id: int, reminder: bool) -> None:
    enqueue_after_commit(NOTIFICATIONS, send_one_survey_job, invitation_id, reminder)


def survey_message(
    invitation: SurveyInvitation, answers: list[SurveyAnswer], reminder: bool
) -> OutgoingMessage:
    supporter = invitation.supporter
    context = {
        "supporter_name": supporter.name,
        "letters": [a.letter for a in answers],
        "survey_url": public_url("supporters.survey", token=survey_token(invitation.id)),
        "reminder": reminder,
    }
    if answers:
        context["campaign"] = answers[0].letter.campaign
    return supporter_message(
        supporter, "survey", "survey-reminder" if reminder else "survey", **context
    )


@job
def send_one_survey_job(invitation_id: int, reminder: bool = False) -> bool:
    return send_survey(invitation_id, reminder)


def send_survey(invitation_id: int, reminder: bool = False) -> bool:
    """Mail the survey (or its reminder). Does nothing, and returns False, when
    nothing is left to ask or the supporter's data has been removed."""
    invitation = db.session.get(SurveyInvitation, invitation_id)
    if invitation is None or invitation.supporter is None:
        return False
    supporter = invitation.supporter
    if not supporter.email or getattr(supporter, "anonymised_at", None):
        return False
    answers = open_answers(invitation)
    if reminder:
        answers = _unanswered(answers)
    if not answers:
        return False
    get_backend().send(survey_message(invitation, answers, reminder))
    return True


def record_answers(invitation: SurveyInvitation, given: dict[int, tuple[str, str]]) -> int:
    """Record the supporter's answers (answer id → (answer, note)) to the
    questions still open; others are ignored. A "yes" makes the letter replied.
    Commits; returns how many answers were recorded. Raises ValueError for an
    unknown answer."""
    now = utcnow()
    recorded = 0
    for answer in open_answers(invitation):
        if answer.id not in given:
            continue
        value, note = given[answer.id]
        if value not in SURVEY_ANSWERS:
            raise ValueError(f"unknown answer {value!r}")
        answer.answer = value
        answer.note = (note or "").strip()[:NOTE_MAX] if value == "yes" else ""
        answer.answered_at = now
        if value == "yes":
            advance_letter(
                answer.letter_id, LetterState.REPLIED, "the supporter says they replied (survey)"
            )
        recorded += 1
    if recorded:
        invitation.answered_at = now
    db.session.commit()
    return recorded


def send_surveys_job() -> int:
    """Periodic: new invitations."""
    from campaign.core.locks import exclusive

    with exclusive("surveys") as mine:
        return create_invitations() if mine else 0


def send_survey_reminders_job() -> int:
    """Periodic: reminders."""
    from campaign.core.locks import exclusive

    with exclusive("survey-reminders") as mine:
        return due_reminders() if mine else 0
