"""Organisers' campaign form. Field types and ranges are checked here; rules that span
fields or need the database are the services' (their errors come back to the field)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Field,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from campaign.campaigns.campaigns import DIGEST_EVERY_MAX
from campaign.core.translated_form import TranslatedForm
from campaign.models.campaign import BODY_KINDS
from campaign.people.forms import BODY_KIND_LABELS


def _number(message=None):
    return [InputRequired(message or _l("Give a number.")), NumberRange(min=0)]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# Daily digests, per kind of body (Campaign.digest_kinds): the choice, and N for the
# third one. ``digest_kinds_of`` and ``digest_data`` turn one into the other.
SINGLE, DAILY, EVERY = "single", "daily", "every"
DIGEST_CHOICES = [
    (SINGLE, _l("Single letters")),
    (DAILY, _l("One digest a day")),
    (EVERY, _l("One digest a day, or as soon as N letters wait")),
]
DIGEST_EVERY_NEEDED = _l("Give the number of letters, from 1 to %(max)d.", max=DIGEST_EVERY_MAX)


class GroupErrors(Field):
    """No input of its own: the errors about a group of fields as a whole (a kind
    of body the app does not know), shown at the top of the group's fieldset."""

    def process_formdata(self, valuelist):
        self.data = None

    def __call__(self, **kwargs):
        return ""


class NeededFor:
    """N is needed only when its kind's choice is EVERY; otherwise it may be empty
    (but what is given must still be a number in range)."""

    def __init__(self, choice_field: str):
        self.choice_field = choice_field

    def __call__(self, form, field):
        if field.raw_data and field.raw_data[0].strip():
            return
        if not field.raw_data and field.data is not None:
            return  # not posted: the saved N stands
        field.errors[:] = []  # not "Not a valid integer value." for nothing given
        if form[self.choice_field].data == EVERY:
            raise StopValidation(str(DIGEST_EVERY_NEEDED))
        raise StopValidation()


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

    def digest_fields(self) -> list[tuple[Field, Field]]:
        """Each kind of body's digest choice and its N, in BODY_KINDS order."""
        return [(self[f"digest_{kind}"], self[f"digest_{kind}_every"]) for kind in BODY_KINDS]

    def unknown_digest_fields(self, posted) -> list[str]:
        """The kinds named by posted digest fields that this form does not have."""
        unknown = []
        for name in posted:
            if name.startswith("digest_") and name not in self._fields:
                kind = name.removeprefix("digest_").removesuffix("_every")[:40]
                if kind not in unknown:
                    unknown.append(kind)
        return unknown


for _kind in BODY_KINDS:
    setattr(
        CampaignForm,
        f"digest_{_kind}",
        SelectField(BODY_KIND_LABELS[_kind], choices=DIGEST_CHOICES, default=SINGLE),
    )
    setattr(
        CampaignForm,
        f"digest_{_kind}_every",
        IntegerField(
            _l(
                "N for %(kind)s: a digest as soon as this many letters wait",
                kind=BODY_KIND_LABELS[_kind],
            ),
            validators=[
                NeededFor(f"digest_{_kind}"),
                NumberRange(min=1, max=DIGEST_EVERY_MAX),
            ],
        ),
    )
CampaignForm.digest_kinds = GroupErrors(_l("Daily digests"))
del _kind


def digest_kinds_of(form: CampaignForm) -> dict[str, int]:
    """Campaign.digest_kinds as the form chooses it. A kind whose N was refused at
    its field is left out (the form is shown again; nothing is saved)."""
    kinds = {}
    for kind in BODY_KINDS:
        choice, every = form[f"digest_{kind}"], form[f"digest_{kind}_every"]
        if choice.data == DAILY:
            kinds[kind] = 0
        elif choice.data == EVERY and isinstance(every.data, int) and not every.errors:
            kinds[kind] = every.data
    return kinds


def digest_data(digest_kinds: dict | None) -> dict:
    """The digest fields' values for a campaign's saved digest_kinds: what the form
    shows, and what it keeps when a post leaves the fields out."""
    data = {}
    for kind in BODY_KINDS:
        value = (digest_kinds or {}).get(kind)
        data[f"digest_{kind}"] = SINGLE if value is None else DAILY if not value else EVERY
        data[f"digest_{kind}_every"] = value or None
    return data
