"""A message to a supporter, written in the language they used on the site."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from campaign.core.i18n import INTERFACE_LANGUAGES, SOURCE_LANGUAGE
from campaign.core.mail import OutgoingMessage
from campaign.models import Supporter


def supporter_locale(supporter: Supporter) -> str:
    """The interface language the supporter used when they wrote."""
    return supporter.locale if supporter.locale in INTERFACE_LANGUAGES else SOURCE_LANGUAGE


def site_name(campaign) -> str:
    """The name mail to supporters comes from, in the current locale: the campaign's
    title (the appeal's own title is translated), else MAIL_FROM_NAME."""
    return (gettext(campaign.title) if campaign else "") or current_app.config["MAIL_FROM_NAME"]


def forward_sender_name(representative_name: str, campaign) -> str:
    """The sender of a forwarded reply, in the current locale: who wrote, through whom."""
    return gettext("%(name)s via %(site)s", name=representative_name, site=site_name(campaign))


def supporter_message(supporter: Supporter, template: str, kind: str, **context) -> OutgoingMessage:
    """``email/<template>_subject.txt`` and ``email/<template>.txt`` rendered in the
    supporter's language, from the campaign's address, to the supporter. With a
    ``campaign`` in the context, the sender's name is its title in that language
    (the appeal's own title is translated); otherwise MAIL_FROM_NAME."""
    campaign = context.get("campaign")
    with force_locale(supporter_locale(supporter)):
        subject = render_template(f"email/{template}_subject.txt", **context).strip()
        text = render_template(f"email/{template}.txt", **context)
        from_name = site_name(campaign)
    return OutgoingMessage(
        to_email=supporter.email,
        to_name=supporter.name,
        from_email=current_app.config["MAIL_FROM"],
        from_name=from_name,
        subject=subject,
        text=text,
        kind=kind,
    )
