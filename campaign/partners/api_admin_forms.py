"""Forms of the admins' page of a partner's API tokens and webhook endpoints."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from campaign.core.translated_form import TranslatedForm


class TokenForm(TranslatedForm):
    label = StringField(
        _l("What the token is for (for example, the partner's CRM)"),
        validators=[DataRequired(), Length(max=120)],
    )


class EndpointForm(TranslatedForm):
    url = StringField(
        _l("Address the events are sent to (https://…)"),
        validators=[DataRequired(), Length(max=500)],
    )
