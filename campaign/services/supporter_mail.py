"""A message to a supporter, written in the language they used on the site."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale

from ..i18n import INTERFACE_LANGUAGES, SOURCE_LANGUAGE
from ..mail import OutgoingMessage
from ..models import Supporter


def supporter_message(supporter: Supporter, template: str, kind: str, **context) -> OutgoingMessage:
    """``email/<template>_subject.txt`` and ``email/<template>.txt`` rendered in the
    supporter's language, from the campaign's address, to the supporter."""
    locale = supporter.locale if supporter.locale in INTERFACE_LANGUAGES else SOURCE_LANGUAGE
    with force_locale(locale):
        subject = render_template(f"email/{template}_subject.txt", **context).strip()
        text = render_template(f"email/{template}.txt", **context)
    return OutgoingMessage(
        to_email=supporter.email,
        to_name=supporter.name,
        from_email=current_app.config["MAIL_FROM"],
        from_name=current_app.config["MAIL_FROM_NAME"],
        subject=subject,
        text=text,
        kind=kind,
    )
