"""Organisers' forms. Field types and ranges are checked here; rules that span
fields or need the database are the services' (their errors come back to the field)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..importers import FORMATS
from ..models.campaign import BODY_KINDS
from ..translated_form import TranslatedForm

BODY_KIND_LABELS = {
    "parliament": _l("National parliament"),
    "european_parliament": _l("European Parliament"),
    "ministry": _l("Ministry"),
}
FORMAT_LABELS = {
    "csv": _l("The project's CSV"),
    "everypolitician": _l("EveryPolitician term CSV"),
    "popolo": _l("Popolo JSON (EveryPolitician)"),
    "ep-csv": _l("European Parliament open-data MEP CSV"),
    "ep-api": _l("European Parliament open-data API person JSON"),
}
MAX_UPLOAD = 20 * 1024 * 1024


def _number(message=None):
    return [InputRequired(message or _l("Give a number.")), NumberRange(min=0)]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(TranslatedForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Short name (used in links)"), validators=[DataRequired(), Length(max=80)]
    )
    default_language = StringField(
        _l("Default language of the letters"), validators=[DataRequired(), Length(max=8)]
    )
    opens_at = DateField(_l("Opens on"), validators=[Optional()])
    closes_at = DateField(_l("Closes on"), validators=[Optional()])

    imprisoned = IntegerField(_l("Still imprisoned"), validators=_number())
    released_after_sentence = IntegerField(
        _l("Released after the full sentence"), validators=_number()
    )
    freed_early = IntegerField(_l("Freed early (pardons, exchanges)"), validators=_number())
    died_in_custody = IntegerField(_l("Died in custody"), validators=_number())
    vulnerable = IntegerField(_l("Vulnerable prisoners"), validators=_number())
    figures_as_of = DateField(_l("Figures as of"), validators=[Optional()])

    target_countries = StringField(_l("Target countries"), validators=[Optional(), Length(max=400)])
    target_body_kinds = CheckboxesField(
        _l("Target bodies"), choices=[(k, BODY_KIND_LABELS[k]) for k in BODY_KINDS]
    )

    throttle_per_second = FloatField(
        _l("Letters per second, at most"),
        validators=[InputRequired(_l("Give a number.")), NumberRange(min=0.001, max=1000)],
    )
    throttle_rep_per_hour = IntegerField(
        _l("Letters to one representative per hour, at most"),
        validators=[InputRequired(_l("Give a number.")), NumberRange(min=1)],
    )
    throttle_rep_per_day = IntegerField(
        _l("Letters to one representative per day, at most"),
        validators=[InputRequired(_l("Give a number.")), NumberRange(min=1)],
    )
    throttle_domain_per_minute = IntegerField(
        _l("Letters to one mail domain per minute, at most"),
        validators=[InputRequired(_l("Give a number.")), NumberRange(min=1)],
    )
    send_window_start = TimeField(_l("Send from (recipient's time)"), validators=[Optional()])
    send_window_end = TimeField(_l("Send until (recipient's time)"), validators=[Optional()])
    send_window_weekdays_only = BooleanField(_l("Send on weekdays only"))
    organiser_name = StringField(_l("Organisation"), validators=[Length(max=200)])
    organiser_address = TextAreaField(_l("Postal address"), validators=[Length(max=400)])
    organiser_email = StringField(_l("Contact email address"), validators=[Length(max=320)])
    organiser_website = StringField(_l("Website"), validators=[Length(max=300)])
    default_letters = BooleanField(_l("Start with the default letters"), default=True)
    public_responsiveness = BooleanField(
        _l("Publish how responsive representatives are (the public responsiveness page)")
    )
    is_default = BooleanField(
        _l("The site's default campaign (served at the site's first addresses)")
    )


class CancelSendingForm(TranslatedForm):
    """Cancelling cannot be undone: the box must be ticked (no script, so no dialog)."""

    confirm_cancel = BooleanField(
        _l("I understand: every queued letter of this campaign is cancelled for good."),
        validators=[DataRequired(_l("Tick this box to cancel the sending."))],
    )


class CancelHeldForm(TranslatedForm):
    """The same box as CancelSendingForm, for the letters held for a bad address of one
    representative (staff's addresses page: one form per row, so one prefix each)."""

    confirm_cancel = BooleanField(
        _l("I understand: the letters held for this representative are cancelled for good."),
        validators=[DataRequired(_l("Tick this box to cancel the held letters."))],
    )


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


class RepresentativeForm(TranslatedForm):
    title = StringField(_l("Title"), validators=[Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Email address"), validators=[DataRequired(), Length(max=320)])
    party = StringField(_l("Party or group"), validators=[Length(max=200)])
    constituency = StringField(_l("Constituency"), validators=[Length(max=200)])
    language = StringField(
        _l("Language of their letters"), validators=[DataRequired(), Length(max=8)]
    )


class ImportForm(TranslatedForm):
    file = FileField(
        _l("File"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileSize(MAX_UPLOAD, message=_l("The file is larger than 20 MB.")),
        ],
    )
    format = SelectField(_l("Format"), choices=[(f, FORMAT_LABELS[f]) for f in FORMATS])
    country = StringField(_l("Country code"), validators=[Optional(), Length(max=60)])
    body = StringField(_l("Body"), validators=[Optional(), Length(max=200)])
    term = StringField(_l("Term"), validators=[Optional(), Length(max=40)])
    language = StringField(_l("Language code"), validators=[Optional(), Length(max=8)])
    deactivate_missing = BooleanField(
        _l("Deactivate the representatives of these bodies that the file no longer lists")
    )
