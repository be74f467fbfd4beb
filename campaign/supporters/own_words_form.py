"""The letters form with the campaign's questions: each answer a field of its own,
the answers together the personal paragraph (supporters.own_words)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Optional

from campaign.core.i18n import current_language
from campaign.models import Campaign
from campaign.supporters import own_words
from campaign.supporters.forms import LetterForm, at_most, no_control_characters

NUMBERS = range(1, own_words.MAX_QUESTIONS + 1)


def _answer() -> TextAreaField:
    return TextAreaField(
        validators=[Optional(), at_most(own_words.ANSWER_MAX), no_control_characters]
    )


class OwnWordsLetterForm(LetterForm):
    answer_1 = _answer()
    answer_2 = _answer()
    answer_3 = _answer()

    # The campaign's questions in the page's language; none: the free paragraph.
    questions: list[str] = []

    def answers(self) -> list[str]:
        return [self[f"answer_{n}"].data or "" for n in NUMBERS if n <= len(self.questions)]


def letter_form(campaign: Campaign, csrf: bool = True) -> OwnWordsLetterForm:
    """The letters form of ``campaign``: with its questions (labelled in the page's
    language, required when organisers say so), else with the free paragraph.
    ``csrf`` False in a partner's frame, where a form token stands in for it."""
    settings = own_words.settings_for(campaign)
    form = OwnWordsLetterForm() if csrf else OwnWordsLetterForm(meta={"csrf": False})
    form.questions = own_words.questions_for(
        settings, current_language(), campaign.default_language
    )
    for number in NUMBERS:
        answer = form[f"answer_{number}"]
        if number > len(form.questions):
            del form[f"answer_{number}"]
            continue
        answer.label.text = form.questions[number - 1]
        if settings.answers_required:
            answer.validators = [
                DataRequired(_l("Please answer this question.")),
                at_most(own_words.ANSWER_MAX),
                no_control_characters,
            ]
            answer.flags.required = True
    if form.questions:
        form.personal_paragraph.label.text = _l("Your answers")
    return form


def take_answers(form: OwnWordsLetterForm) -> None:
    """Where the campaign asks questions, the answers are the personal paragraph
    (anything posted as a free paragraph is ignored)."""
    if form.questions:
        form.personal_paragraph.data = own_words.compose(form.answers())


def refuse_copy(form: OwnWordsLetterForm, message: str) -> None:
    """Show the request for the supporter's own words at the paragraph (or, with
    questions, at the answers)."""
    form.personal_paragraph.errors = [*form.personal_paragraph.errors, message]
