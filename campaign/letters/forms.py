"""The letter editor's forms: the text with its preview, the confirmation of
publishing, a new letter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from campaign.core.translated_form import TranslatedForm
from campaign.models.campaign import BODY_KINDS
from campaign.people.forms import BODY_KIND_LABELS


class TemplateForm(TranslatedForm):
    subject = StringField(_l("Subject"), validators=[Length(max=500)])
    body = TextAreaField(_l("Text"), validators=[Length(max=50_000)])
    representative = SelectField(_l("Preview for"), choices=[], validate_choice=False)
    # "markers" when the text is written with readable markers, else raw template text.
    mode = HiddenField()


class PublishForm(TranslatedForm):
    """The confirmation step of publishing: the text travels unchanged from the
    editor; the review mark and the acceptance of losses are asked here, afresh."""

    subject = HiddenField(validators=[Length(max=500)])
    body = HiddenField(validators=[Length(max=50_000)])
    compared_with = HiddenField()
    reviewed = BooleanField(_l("A native speaker has reviewed this very text"))
    accept_losses = BooleanField(
        _l("I understand what supporters lose with this text, and publish it anyway")
    )


class NewTemplateForm(TranslatedForm):
    language = StringField(_l("Language code"), validators=[DataRequired(), Length(max=8)])
    body_kind = SelectField(_l("For"), choices=[(k, BODY_KIND_LABELS[k]) for k in BODY_KINDS])
