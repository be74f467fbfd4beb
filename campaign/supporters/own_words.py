"""The supporter's own words: a campaign's questions, whose answers become the
personal paragraph of its letters, and the rule that refuses a paragraph nearly
identical to earlier ones (docs/organisers/own-words.md).

A paragraph is refused when at least ``similarity_min_matches`` earlier paragraphs
of the campaign, from other supporters and confirmed, have an estimated Jaccard
similarity of word 3-shingles at or above ``similarity_threshold``
(supporters.similarity). Refused every time it is sent so: the supporter rewrites
it, or sends without it. A paragraph accepted while fewer earlier ones resemble it
is marked on its submission (``paragraph_matches``), and organisers see how many
letters carry one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.core.i18n import INTERFACE_LANGUAGES
from campaign.letters.compose import clean_paragraph
from campaign.models import (
    Campaign,
    Letter,
    LetterState,
    LetterTemplate,
    OwnWordsSettings,
    Submission,
    User,
)
from campaign.models.own_words import DEFAULT_MIN_MATCHES, DEFAULT_THRESHOLD
from campaign.supporters import similarity

MAX_QUESTIONS = 3
QUESTION_MAX = 200
# Three answers and the blank lines between them stay within the paragraph's limit
# (letters.compose.PERSONAL_PARAGRAPH_MAX).
ANSWER_MAX = 600
THRESHOLD_RANGE = (0.1, 1.0)
MIN_MATCHES_RANGE = (1, 1000)

COPIED_MESSAGE = _l(
    "Your paragraph is nearly identical to ones other supporters have already sent. "
    "Offices set aside letters that repeat each other: please say it in your own "
    "words, or leave it out. Nothing has been sent yet."
)
# Letters that never left: their paragraph reached nobody.
_NOT_SENT = (LetterState.AWAITING_CONFIRMATION.value, LetterState.EXPIRED.value)


def settings_for(campaign: Campaign) -> OwnWordsSettings:
    """The campaign's settings; the defaults (no questions) when it has none."""
    found = db.session.get(OwnWordsSettings, campaign.id)
    if found is not None:
        return found
    return OwnWordsSettings(
        campaign_id=campaign.id,
        questions=[],
        answers_required=False,
        similarity_threshold=DEFAULT_THRESHOLD,
        similarity_min_matches=DEFAULT_MIN_MATCHES,
    )


def questions_for(settings: OwnWordsSettings, language: str, default_language: str) -> list[str]:
    """Each question in ``language``, else in the campaign's default language, else
    in the first language it was written in."""
    shown = []
    for question in (settings.questions or [])[:MAX_QUESTIONS]:
        text = question.get(language) or question.get(default_language)
        shown.append(text or next(iter(question.values()), ""))
    return [text for text in shown if text]


def compose(answers: list[str]) -> str:
    """The personal paragraph made of the answers given, each its own paragraph, in
    the questions' order (the questions themselves are not sent)."""
    return "\n\n".join(filter(None, (clean_paragraph(a or "") for a in answers)))


# -- organisers' settings -------------------------------------------------------------


def question_languages(campaign: Campaign) -> list[str]:
    """The languages a question may be written in: the interface languages and the
    campaign's default language."""
    return list(dict.fromkeys([campaign.default_language, *INTERFACE_LANGUAGES]))


def missing_languages(campaign: Campaign) -> list[list[str]]:
    """For each question, the languages the campaign's published letters are in
    that it is not given in (their supporters read the default language's)."""
    letter_languages = sorted(
        db.session.execute(
            db.select(LetterTemplate.language)
            .filter(
                LetterTemplate.campaign_id == campaign.id,
                LetterTemplate.published_version_id.is_not(None),
            )
            .distinct()
        ).scalars()
    )
    wanted = [code for code in letter_languages if code in question_languages(campaign)]
    return [
        [code for code in wanted if code not in question]
        for question in settings_for(campaign).questions or []
    ]


def parse_question(text: str, campaign: Campaign) -> tuple[dict[str, str], list[str]]:
    """{"en": "…"} from lines "en: …"; and what is wrong with them. A question given
    in any language must be given in the campaign's default language too."""
    languages = question_languages(campaign)
    question, problems = {}, []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        code, colon, wording = line.partition(":")
        code, wording = code.strip().lower(), " ".join(wording.split())
        if not colon or code not in languages or not wording or not wording.isprintable():
            problems.append(
                _(
                    "line %(number)d: write a language code (%(codes)s), a colon and the question",
                    number=number,
                    codes=", ".join(languages),
                )
            )
        elif len(wording) > QUESTION_MAX:
            problems.append(
                _(
                    "line %(number)d: a question of at most %(max)d characters, please",
                    number=number,
                    max=QUESTION_MAX,
                )
            )
        else:
            question[code] = wording
    if question and not problems and campaign.default_language not in question:
        problems.append(
            _(
                "Give the question in the campaign's default language (%(code)s) too: "
                "supporters whose language is missing read that one.",
                code=campaign.default_language,
            )
        )
    return question, problems


def save_settings(
    campaign: Campaign,
    questions: list[dict[str, str]],
    answers_required: bool,
    threshold: float,
    min_matches: int,
    user: User | None,
) -> bool:
    """Store the campaign's questions (empty ones dropped) and similarity settings,
    recorded in the audit log; False when nothing changed. Commits."""
    questions = [q for q in questions if q][:MAX_QUESTIONS]
    settings = db.session.get(OwnWordsSettings, campaign.id)
    before = {}
    if settings is None:
        settings = OwnWordsSettings(campaign_id=campaign.id)
        db.session.add(settings)
    else:
        before = _values(settings)
    settings.questions = questions
    settings.answers_required = bool(answers_required and questions)
    settings.similarity_threshold = float(threshold)
    settings.similarity_min_matches = int(min_matches)
    changes = audit.changes_between(before, _values(settings))
    if not changes:
        db.session.rollback()
        return False
    audit.record(
        "update",
        "campaign",
        campaign.id,
        "own_words_changed",
        {"fields": sorted(changes), "campaign": campaign.slug},
        user=user,
        changes=changes,
    )
    db.session.commit()
    return True


def _values(settings: OwnWordsSettings) -> dict:
    return {
        "questions": settings.questions,
        "answers_required": settings.answers_required,
        "similarity_threshold": settings.similarity_threshold,
        "similarity_min_matches": settings.similarity_min_matches,
    }


# -- the check, when a supporter sends --------------------------------------------------


@dataclass(frozen=True)
class Screening:
    """A paragraph compared with the campaign's earlier ones; ``refused`` when too
    many resemble it."""

    signature: bytes | None = None
    similarity: float | None = None
    matches: int = 0
    refused: bool = False


def screen(campaign: Campaign, paragraph: str, supporter_id: int | None) -> Screening:
    """Compare ``paragraph`` with the campaign's confirmed paragraphs of other
    supporters. Reads only; keep() stores the outcome with the submission."""
    raw = similarity.signature(clean_paragraph(paragraph or ""))
    if raw is None:
        return Screening()
    settings = settings_for(campaign)
    likeness = similarity.compare(
        campaign.id,
        raw,
        settings.similarity_threshold,
        settings.similarity_min_matches,
        exclude_supporter=supporter_id,
    )
    return Screening(
        signature=raw,
        similarity=likeness.similarity or 0.0,
        matches=likeness.matches,
        refused=likeness.matches >= settings.similarity_min_matches,
    )


def keep(submission: Submission, screening: Screening) -> None:
    """Mark the submission with its paragraph's likeness and keep the paragraph's
    signature (compared against once the submission is confirmed). The submission
    must have been flushed; the caller commits."""
    submission.paragraph_similarity = screening.similarity
    submission.paragraph_matches = screening.matches
    if screening.signature is not None:
        similarity.record(submission, screening.signature)


def confirmed(submission: Submission) -> None:
    """Later paragraphs are compared with this submission's from now on."""
    similarity.confirm(submission.id)


# -- what organisers see ----------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    with_paragraph: int
    copied: int


def letter_counts(campaign: Campaign) -> Counts:
    """Confirmed letters of the campaign with a personal paragraph long enough to
    compare, and those whose paragraph was accepted though it resembled earlier ones."""
    base = (
        db.select(db.func.count(Letter.id))
        .join(Submission, Letter.submission_id == Submission.id)
        .filter(
            Letter.campaign_id == campaign.id,
            Letter.state.not_in(_NOT_SENT),
            Submission.paragraph_similarity.is_not(None),
        )
    )
    return Counts(
        with_paragraph=db.session.execute(base).scalar_one(),
        copied=db.session.execute(base.filter(Submission.paragraph_matches > 0)).scalar_one(),
    )
