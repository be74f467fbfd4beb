"""Organisers' form for a campaign's questions and the similarity rule
(supporters.own_words)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from campaign.core.translated_form import TranslatedForm
from campaign.supporters import own_words

LOW, HIGH = own_words.THRESHOLD_RANGE
FEWEST, MOST = own_words.MIN_MATCHES_RANGE


def _question(label) -> TextAreaField:
    return TextAreaField(label, validators=[Length(max=4000)])


class OwnWordsForm(TranslatedForm):
    question_1 = _question(_l("First question"))
    question_2 = _question(_l("Second question"))
    question_3 = _question(_l("Third question"))
    answers_required = BooleanField(_l("Supporters must answer every question"))
    similarity_threshold = FloatField(
        _l("Similarity at which a paragraph counts as a copy"),
        validators=[
            InputRequired(_l("Give a number.")),
            NumberRange(min=LOW, max=HIGH, message=_l("A number from 0.1 to 1.")),
        ],
    )
    similarity_min_matches = IntegerField(
        _l("Earlier paragraphs it must resemble before it is refused"),
        validators=[
            InputRequired(_l("Give a number.")),
            NumberRange(min=FEWEST, max=MOST, message=_l("A whole number from 1 to 1000.")),
        ],
    )

    def question_fields(self):
        return [self.question_1, self.question_2, self.question_3]
