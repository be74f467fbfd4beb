"""What every public page and supporter mail shows the same way: country names and
their order, letter states, the campaign's title and organiser, dates in sentences."""

from __future__ import annotations

import unicodedata
from types import SimpleNamespace

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from campaign.core.blueprints.supporters import bp
from campaign.core.urls import public_url
from campaign.models.base import utcnow
from campaign.people import directory

# Where a request keeps its page's campaign and the slug of its address (landing.belongs_to).
PAGE_CAMPAIGN = "campaign.page_campaign"
PAGE_SLUG = "campaign.page_slug"


def country_name(code: str) -> str:
    locale = Locale.parse(str(get_locale()))
    return locale.territories.get(code, code)


# Letters that code-point order puts far from where their alphabets do (Belarusian І
# and Ў, Ukrainian Є, І, Ї and Ґ, Polish Ł); accents are compared after the letter.
_ALPHABET_PLACE = str.maketrans(
    dict(zip("ІіЇїЎўЄєҐґЁёŁł", "И~ и~ И~~ и~~ У~ у~ Е~ е~ Г~ г~ Е~ е~ L~ l~".split(), strict=True))
)


def country_sort_key(code: str) -> tuple[str, str]:
    """Sort countries by name as a reader of the interface language expects."""
    name = country_name(code)
    base = unicodedata.normalize("NFD", name.translate(_ALPHABET_PLACE))
    return ("".join(c for c in base if not unicodedata.combining(c)).casefold(), name)


STATE_LABELS = {
    "awaiting_confirmation": _l("waiting for your confirmation"),
    "held": _l("waiting for review"),
    "queued": _l("queued"),
    "held_address": _l("waiting: address being checked"),
    "awaiting_digest": _l("waiting for today's digest"),
    "in_digest": _l("in today's digest, being sent"),
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "bounced": _l("could not be delivered"),
    "replied": _l("replied"),
    "failed": _l("could not be sent"),
    "cancelled": _l("cancelled"),
    "expired": _l("expired"),
    "rejected": _l("not sent"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def letter_label(letter) -> str:
    """A letter's state as its supporter reads it; a letter that went in a digest
    says so, and on which day."""
    if letter.digest_id is not None and letter.sent_at and letter.state == "sent":
        if letter.sent_at.date() == utcnow().date():
            return _("sent in today's digest")
        return _("sent in the digest of %(date)s", date=format_date(letter.sent_at))
    return state_label(letter.state)


def campaign_title(campaign) -> str:
    """The campaign's title, translated when it is the appeal's own title."""
    return _(campaign.title)


def page_title() -> str:
    """The name a page's header and <title> carry: its campaign's title (translated
    when it is the appeal's own), else the site's name (pages of no campaign, and
    management pages)."""
    campaign = request.environ.get(PAGE_CAMPAIGN) if has_request_context() else None
    if campaign is not None and campaign.title:
        return campaign_title(campaign)
    return _("The time for release is now")


def _organiser_of(campaign) -> SimpleNamespace:
    return SimpleNamespace(
        organiser_name=campaign.organiser_name,
        organiser_address=campaign.organiser_address,
        organiser_email=campaign.organiser_email,
        organiser_website=campaign.organiser_website,
    )


def site_campaign():
    """Who runs the campaign of the page (its organiser fields; the default campaign's
    where the page belongs to none), for every page's and mail's footer; None before
    a campaign is set up, or when the database cannot say (the page still shows). A
    copy, not the row: a worker renders many mails in one app context, each job with
    a fresh session."""
    if has_request_context() and request.environ.get(PAGE_CAMPAIGN) is not None:
        return _organiser_of(request.environ[PAGE_CAMPAIGN])
    # Cached in the request's environ, not in g: an app context (a worker's, or a
    # test's) can outlive many requests.
    cache = request.environ if has_request_context() else {}
    if "campaign.site_campaign" in cache:
        return cache["campaign.site_campaign"]
    try:
        campaign = directory.default_campaign(current_app.config.get("CAMPAIGN_SLUG"))
    except SQLAlchemyError:
        campaign = None
    found = _organiser_of(campaign) if campaign is not None else None
    cache["campaign.site_campaign"] = found
    return found


def privacy_url(campaign=None) -> str:
    """The privacy notice of ``campaign`` (of the page's campaign, else the default's)."""
    if campaign is None and has_request_context():
        campaign = request.environ.get(PAGE_CAMPAIGN)
    slug = campaign.slug if campaign is not None and not campaign.is_default else None
    return public_url("supporters.privacy", slug=slug)


@bp.app_template_filter("date_before_stop")
def date_before_stop(value) -> str:
    """A long date (Babel) for a sentence that ends right after it: without the
    date's own final abbreviation point ("11 снежня 2026 г."), which the sentence's
    full stop then gives back, instead of doubling it."""
    return format_date(value, "long").removesuffix(".")


@bp.app_context_processor
def inject_helpers():
    return {
        "country_name": country_name,
        "state_label": state_label,
        "campaign_title": campaign_title,
        "page_title": page_title,
        "site_campaign": site_campaign,
        "privacy_url": privacy_url,
        "representative_sees_text": representative_sees(),
        "public_slug": request.environ.get(PAGE_SLUG) if has_request_context() else None,
    }


def representative_sees() -> str:
    """One statement of what the representative sees, wherever it is said: it follows
    from delivery.delivery.letter_message (replies come through a reply address of
    the letter when INBOUND_DOMAIN is set, else straight to the supporter)."""
    if current_app.config.get("INBOUND_DOMAIN"):
        return _(
            "The representative sees your name, the letter and the city if you give one. "
            "Not your email address: their reply comes to a reply address of the letter "
            "and we forward it to you."
        )
    return _(
        "The representative sees your name, the letter, the city if you give one, and "
        "your email address, so that they can answer you."
    )
