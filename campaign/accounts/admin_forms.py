from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from campaign.core.translated_form import TranslatedForm

ROLE_LABELS = {
    "admin": _l("Admin: accounts, and everything else"),
    "organiser": _l("Organiser: campaigns, letters, representatives"),
    "staff": _l("Staff: queues, replies, reports"),
}


class NewUserForm(TranslatedForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=320)])
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()))
    password = PasswordField(
        _l("Password (at least 12 characters)"), validators=[DataRequired(), Length(max=200)]
    )
    confirm = PasswordField(
        _l("The password again"),
        validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))],
    )


class RoleForm(TranslatedForm):
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()))
