from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..services.compose import PERSONAL_PARAGRAPH_MAX


def no_control_characters(form, field):
    value = field.data or ""
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value) or "\x7f" in value:
        raise ValidationError(_l("Please remove the special characters from this field."))


def single_line(form, field):
    if any(ch in (field.data or "") for ch in "\r\n"):
        raise ValidationError(_l("Please keep this on one line."))


class IntegerListField(SelectMultipleField):
    """Checkbox ids; choices are checked by the service, not by WTForms."""

    def pre_validate(self, form):
        for value in self.data or []:
            if not str(value).isdigit():
                raise ValidationError(_l("Invalid choice."))


class LetterForm(FlaskForm):
    representatives = IntegerListField(
        _l("Representatives"), coerce=str, validators=[DataRequired(_l("Please choose at least one representative."))]
    )
    personal_paragraph = TextAreaField(
        _l("Your own paragraph (optional)"),
        validators=[Optional(), Length(max=PERSONAL_PARAGRAPH_MAX), no_control_characters],
    )
    name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Please enter your name: it signs the letter.")),
            Length(max=120),
            single_line,
            no_control_characters,
        ],
    )
    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(_l("Please enter your email address: we send you a link to confirm.")),
            Length(max=254),
            Email(_l("This does not look like an email address."), check_deliverability=False),
        ],
    )
    city = StringField(
        _l("City or postcode (optional)"),
        validators=[Optional(), Length(max=120), single_line, no_control_characters],
    )
    consent = BooleanField(
        _l("I have read how my data is used, and I want these letters sent in my name."),
        validators=[DataRequired(_l("Please tick this box to send your letters."))],
    )


class ConfirmForm(FlaskForm):
    """Only the button: a GET of the link changes nothing."""
