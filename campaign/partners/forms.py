"""The admins' form for a partner organisation. Field types and lengths are checked
here; the rules (short name, addresses, origins, logo) are the service's, and come
back to their fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from campaign.core.translated_form import TranslatedForm
from campaign.partners.logos import LOGO_MAX_BYTES


def one_line(form, field):
    value = field.data or ""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(_l("Please keep this on one line, without special characters."))


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class CampaignCheckboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PartnerForm(TranslatedForm):
    name = StringField(
        _l("Name of the organisation"),
        filters=[_stripped],
        validators=[DataRequired(), Length(max=200), one_line],
    )
    slug = StringField(
        _l("Short name (used in its links)"),
        filters=[lambda v: _stripped(v).lower() if isinstance(v, str) else v],
        validators=[DataRequired(), Length(max=80), one_line],
    )
    website = StringField(
        _l("Website (optional)"), filters=[_stripped], validators=[Length(max=500), one_line]
    )
    privacy_url = StringField(
        _l("Its privacy notice (address)"),
        filters=[_stripped],
        validators=[Length(max=500), one_line],
    )
    contact_email = StringField(
        _l("Contact email address (optional)"),
        filters=[_stripped],
        validators=[Length(max=320), one_line],
    )
    frame_origins = TextAreaField(
        _l("Sites that may embed the form (one origin a line)"),
        validators=[Length(max=4000)],
    )
    offers_consent = BooleanField(
        _l("Ask supporters whether this organisation may email them (never ticked in advance)")
    )
    active = BooleanField(_l("Active: its links and embedded form work"), default=True)
    campaigns = CampaignCheckboxes(_l("Campaigns it takes part in"), coerce=int, choices=[])
    logo = FileField(
        _l("Logo (PNG, JPEG or WebP, at most %(size)d KB)", size=LOGO_MAX_BYTES // 1024)
    )
