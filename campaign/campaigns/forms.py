"""Organisers' campaign form. Field types and ranges are checked here; rules that span
fields or need the database are the services' (their errors come back to the field)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from campaign.core.translated_form import TranslatedForm
from campaign.models.campaign import BODY_KINDS
from campaign.people.forms import BODY_KIND_LABELS


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
    spread_until_close = BooleanField(
        _l("Spread each representative's letters evenly until the campaign closes")
    )
    spread_daily_ceiling = IntegerField(
        _l("When spreading, letters to one representative per day, at most"),
        validators=[Optional(), NumberRange(min=1)],
    )
    spread_ends_at = DateTimeLocalField(
        _l("Finish spreading by (UTC)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
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
