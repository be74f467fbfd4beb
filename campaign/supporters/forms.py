from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from campaign.core.translated_form import TranslatedForm
from campaign.letters.compose import PERSONAL_PARAGRAPH_MAX, SUPPORTER_CITY_MAX, SUPPORTER_NAME_MAX
from campaign.supporters.latin_name import in_latin_letters


def no_control_characters(form, field):
    value = field.data or ""
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value) or "\x7f" in value:
        raise ValidationError(_l("Please remove the special characters from this field."))


def single_line(form, field):
    if any(ch in (field.data or "") for ch in "\r\n"):
        raise ValidationError(_l("Please keep this on one line."))


def latin_only(form, field):
    if not in_latin_letters(field.data or ""):
        raise ValidationError(_l("Please use Latin letters only, as in a passport."))


def at_most(limit: int) -> Length:
    # WTForms has no catalogue for several interface languages: bring the message along.
    return Length(max=limit, message=_l("Field cannot be longer than %(max)d characters."))


class IntegerListField(SelectMultipleField):
    """Checkbox ids; choices are checked by the service, not by WTForms."""

    def pre_validate(self, form):
        for value in self.data or []:
            if not str(value).isdigit():
                raise ValidationError(_l("Invalid choice."))


class LetterForm(TranslatedForm):
    representatives = IntegerListField(
        _l("Representatives"),
        coerce=str,
        validators=[DataRequired(_l("Please choose at least one representative."))],
    )
    personal_paragraph = TextAreaField(
        _l("Your own paragraph (optional)"),
        validators=[Optional(), at_most(PERSONAL_PARAGRAPH_MAX), no_control_characters],
    )
    name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Please enter your name: it signs the letter.")),
            at_most(SUPPORTER_NAME_MAX),
            single_line,
            no_control_characters,
        ],
    )
    name_latin = StringField(
        _l("Your name in Latin letters (optional)"),
        validators=[Optional(), at_most(120), single_line, no_control_characters, latin_only],
    )
    # Set once the page has asked for the name in Latin letters: sending again goes
    # ahead without it (supporters.latin_name).
    name_latin_asked = HiddenField(default="")
    # Draws the letters' versions (letters.text_versions): carried from the preview
    # to the sending, so the letters sent are the ones previewed.
    draw = HiddenField(default="", validators=[Optional(), Length(max=64)])
    # The template version each previewed letter came from (submissions.previewed_versions):
    # a letter whose published text changed since is not sent, but shown again.
    previewed_versions = HiddenField(default="")
    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(_l("Please enter your email address: we send you a link to confirm.")),
            at_most(254),
            Email(_l("This does not look like an email address."), check_deliverability=False),
        ],
    )
    city = StringField(
        _l("City or postcode (optional)"),
        validators=[Optional(), at_most(SUPPORTER_CITY_MAX), single_line, no_control_characters],
    )
    # Where the supporter lives: letters claim only what is chosen here. Choices are
    # set per request (countries in the interface language, the chosen bodies'
    # constituencies); "" states nothing.
    residence = SelectField(_l("Country where you live (optional)"), choices=[], default="")
    place = StringField(
        _l("Your postcode or town (optional)"),
        validators=[Optional(), at_most(120), single_line, no_control_characters],
    )
    constituency = SelectField(_l("Your constituency (optional)"), choices=[], default="")
    # Asked only when the paragraph's language differs from a letter's.
    keep_language = BooleanField(_l("Keep my paragraph as it is"), default=False)
    # Off unless ticked: a mailbox holding the letters can be inspected, at a border too.
    copy = BooleanField(_l("Email me a copy of my letters"), default=False)
    consent = BooleanField(
        _l("I have read how my data is used, and I want these letters sent in my name."),
        validators=[DataRequired(_l("Please tick this box to send your letters."))],
    )
    # Offered only through a partner that asks for it (its label is then the partner's
    # sentence, campaign.partners.consent); never ticked in advance.
    partner_consent = BooleanField(default=False)
    # The honeypot: hidden from people by a CSS class, filled in by robots.
    website = StringField(_l("Leave this field empty"))


def honeypot_filled(form) -> bool:
    """A robot filled the hidden field: the caller drops the form silently."""
    return bool((form.website.data or "").strip())


def city_given(form: LetterForm, representatives) -> bool:
    """City or postcode stays optional unless an office asks for it (Body.requires_city);
    marks the field and returns False when it is missing."""
    if (form.city.data or "").strip() or not any(r.body.requires_city for r in representatives):
        return True
    message = _l("The office you write to asks for your city or postcode.")
    form.city.errors = [*form.city.errors, message]
    return False


class ConfirmForm(TranslatedForm):
    """Only the button: a GET of the link changes nothing."""
