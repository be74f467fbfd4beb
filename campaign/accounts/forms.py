from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from campaign.core.translated_form import TranslatedForm


class LoginForm(TranslatedForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Please enter your email address.")), Length(max=320)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
    )


class LoginLinkForm(TranslatedForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Please enter your email address.")), Length(max=320)],
    )
