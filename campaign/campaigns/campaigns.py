"""Creating and editing campaigns, with their rules checked in one place."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.models import Campaign, User
from campaign.models.campaign import BODY_KINDS
from campaign.people.importers.base import known_language, normalise_country

FIELDS = (
    "slug",
    "title",
    "default_language",
    "opens_at",
    "closes_at",
    "imprisoned",
    "released_after_sentence",
    "freed_early",
    "died_in_custody",
    "vulnerable",
    "figures_as_of",
    "target_countries",
    "target_body_kinds",
    "throttle_per_second",
    "throttle_rep_per_hour",
    "throttle_rep_per_day",
    "throttle_domain_per_minute",
    "send_window_start",
    "send_window_end",
    "send_window_weekdays_only",
    "spread_until_close",
    "spread_daily_ceiling",
    "spread_ends_at",
    "digest_kinds",
    "public_responsiveness",
    "is_default",
    "organiser_name",
    "organiser_address",
    "organiser_email",
    "organiser_website",
)
FIGURES = ("imprisoned", "released_after_sentence", "freed_early", "died_in_custody", "vulnerable")
WHOLE_LIMITS = (
    "throttle_rep_per_hour",
    "throttle_rep_per_day",
    "throttle_domain_per_minute",
    "spread_daily_ceiling",
)
# The largest value an integer column holds (PostgreSQL's integer); above it the
# database refuses the row, so the form says so instead.
LARGEST_WHOLE = 2**31 - 1
# A digest as soon as N letters wait: N at most this (0: once a day only).
DIGEST_EVERY_MAX = 500
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class CampaignInvalid(ValueError):
    """Nothing was saved; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def parse_countries(text: str) -> tuple[list[str], list[str]]:
    """Country codes from a list separated by commas or spaces: (codes, not understood)."""
    codes, bad = [], []
    for piece in re.split(r"[,;\s]+", text or ""):
        if not piece:
            continue
        code = "EU" if piece.upper() == "EU" else normalise_country(piece)
        if code is None:
            bad.append(piece)
        elif code not in codes:
            codes.append(code)
    return sorted(codes), bad


def _too_large() -> str:
    return _("That number is too large: at most %(max)s.", max=format_number(LARGEST_WHOLE))


def check(values: dict[str, Any], campaign: Campaign | None = None) -> dict[str, str]:
    """What is wrong with ``values`` for a new campaign or for ``campaign``."""
    errors: dict[str, str] = {}
    slug = values.get("slug") or ""
    if not SLUG.fullmatch(slug):
        errors["slug"] = _(
            "Use lower-case letters, digits and single hyphens, e.g. time-for-release."
        )
    else:
        other = db.session.execute(db.select(Campaign).filter_by(slug=slug)).scalar_one_or_none()
        if other is not None and (campaign is None or other.id != campaign.id):
            errors["slug"] = _("Another campaign has this short name.")
    if not (values.get("title") or "").strip():
        errors["title"] = _("Give the campaign a title.")
    if not known_language(values.get("default_language") or ""):
        errors["default_language"] = _("Give a two-letter language code, e.g. en.")
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if opens and closes and closes < opens:
        errors["closes_at"] = _("The campaign cannot close before it opens.")
    email = (values.get("organiser_email") or "").strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors["organiser_email"] = _("Give an email address, e.g. contact@example.org.")
    website = (values.get("organiser_website") or "").strip()
    if website and not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", website):
        errors["organiser_website"] = _("Give the whole address, starting with https://")
    for name in FIGURES:
        value = values.get(name)
        if not isinstance(value, int) or value < 0:
            errors[name] = _("A whole number, 0 or more.")
        elif value > LARGEST_WHOLE:
            errors[name] = _too_large()
    per_second = values.get("throttle_per_second")
    if not isinstance(per_second, int | float) or not per_second > 0 or per_second > 1000:
        errors["throttle_per_second"] = _("A number above 0 and at most 1000.")
    for name in WHOLE_LIMITS:
        value = values.get(name)
        if name == "spread_daily_ceiling" and value is None:
            continue  # not given: the column's default
        if not isinstance(value, int) or value < 1:
            errors[name] = _("A whole number, 1 or more.")
        elif value > LARGEST_WHOLE:
            errors[name] = _too_large()
    per_hour, per_day = values.get("throttle_rep_per_hour"), values.get("throttle_rep_per_day")
    if (
        "throttle_rep_per_day" not in errors
        and isinstance(per_hour, int)
        and isinstance(per_day, int)
    ):
        if per_day < per_hour:
            errors["throttle_rep_per_day"] = _(
                "A day's limit cannot be below the hour's limit (%(limit)d).", limit=per_hour
            )
    start, end = values.get("send_window_start"), values.get("send_window_end")
    if (start is None) != (end is None):
        field = "send_window_end" if start is not None else "send_window_start"
        errors[field] = _("Give both the start and the end of the sending window, or neither.")
    elif start is not None and not start < end:
        errors["send_window_end"] = _("The sending window must end after it starts.")
    if values.get("spread_until_close") and not closes:
        errors["spread_until_close"] = _(
            "Give the campaign a closing date first: letters are spread until it closes."
        )
    bad_kinds = [k for k in values.get("target_body_kinds") or [] if k not in BODY_KINDS]
    if bad_kinds:
        errors["target_body_kinds"] = _(
            "Unknown kind of body: %(kinds)s", kinds=", ".join(bad_kinds)
        )
    digest_error = _digest_kinds_error(values.get("digest_kinds"))
    if digest_error:
        errors["digest_kinds"] = digest_error
    bad_countries = [
        c for c in values.get("target_countries") or [] if c != "EU" and normalise_country(c) != c
    ]
    if bad_countries:
        errors["target_countries"] = _(
            "Not country codes: %(codes)s", codes=", ".join(bad_countries)
        )
    return errors


def _digest_kinds_error(digest_kinds: Any) -> str | None:
    """What is wrong with a campaign's digest_kinds ({body kind: N}, N from 0 to
    DIGEST_EVERY_MAX); None when nothing is (or it is not given)."""
    if digest_kinds is None:
        return None
    if not isinstance(digest_kinds, dict):
        return _("Choose single letters or digests for each kind of body.")
    unknown = [str(k) for k in digest_kinds if k not in BODY_KINDS]
    if unknown:
        return _("Unknown kind of body: %(kinds)s", kinds=", ".join(unknown))
    for every in digest_kinds.values():
        if isinstance(every, bool) or not isinstance(every, int):
            return _("Choose single letters or digests for each kind of body.")
        if not 0 <= every <= DIGEST_EVERY_MAX:
            return _(
                "A digest as soon as N letters wait: N from 1 to %(max)d.", max=DIGEST_EVERY_MAX
            )
    return None


def values_of(campaign: Campaign) -> dict[str, Any]:
    return {name: getattr(campaign, name) for name in FIELDS}


def create_campaign(
    values: dict[str, Any], user: User | None, default_letters: bool = True
) -> Campaign:
    """A new campaign; with ``default_letters`` it gets every letter of letters/,
    published. Raises CampaignInvalid (nothing saved)."""
    from campaign.letters.template_setup import install_default_letters

    errors = check(values)
    if errors:
        raise CampaignInvalid(errors)
    campaign = Campaign(**{name: values[name] for name in FIELDS if name in values})
    db.session.add(campaign)
    db.session.flush()
    audit.record(
        "create",
        "campaign",
        campaign.id,
        "campaign_created",
        {"campaign": campaign.slug},
        user=user,
        changes=audit.changes_between({}, values_of(campaign)),
    )
    if campaign.is_default:
        _no_other_default(campaign, user)
    if default_letters:
        install_default_letters(campaign, user)
    db.session.commit()
    return campaign


def _no_other_default(campaign: Campaign, user: User | None) -> None:
    """Only one campaign is the default: the others stop being it (each recorded)."""
    others = db.session.execute(
        db.select(Campaign).filter(Campaign.is_default.is_(True), Campaign.id != campaign.id)
    ).scalars()
    for other in others:
        other.is_default = False
        audit.record(
            "update",
            "campaign",
            other.id,
            "campaign_no_longer_default",
            {"campaign": other.slug, "default": campaign.slug},
            user=user,
            changes={"is_default": [True, False]},
        )


def make_default(campaign: Campaign, user: User | None) -> dict:
    """Make ``campaign`` the one the site's first addresses serve; returns the changes."""
    return update_campaign(campaign, {"is_default": True}, user)


def update_campaign(campaign: Campaign, values: dict[str, Any], user: User | None) -> dict:
    """Change the campaign; returns the changes ({field: [old, new]}), empty when
    nothing differed. Raises CampaignInvalid (nothing saved)."""
    merged = {**values_of(campaign), **{k: v for k, v in values.items() if k in FIELDS}}
    errors = check(merged, campaign)
    if errors:
        raise CampaignInvalid(errors)
    changes = audit.changes_between(values_of(campaign), merged)
    if not changes:
        return {}
    for name in changes:
        setattr(campaign, name, merged[name])
    if "is_default" in changes and campaign.is_default:
        _no_other_default(campaign, user)
    audit.record(
        "update",
        "campaign",
        campaign.id,
        "campaign_changed",
        {"fields": list(changes), "campaign": campaign.slug},
        user=user,
        changes=changes,
    )
    db.session.commit()
    return changes
