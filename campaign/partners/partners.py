"""Partner organisations: the rules of their details in one place, their creation and
changes (each audited with what changed), the campaigns they are attached to, and
the partner a public address names."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.models import Campaign, Partner, User
from campaign.partners import logos, origins

FIELDS = (
    "name",
    "slug",
    "website",
    "privacy_url",
    "contact_email",
    "frame_origins",
    "offers_consent",
    "active",
)
# Shown beside the consent box: changing either changes what a supporter agrees to.
CONSENT_WORDING_FIELDS = ("name", "privacy_url")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_WEB_ADDRESS = re.compile(r"https://[^\s/?#@]+\.[^\s/?#@]+(?:[/?#][^\s]*)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class PartnerInvalid(ValueError):
    """Nothing was saved; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# -- what the public pages need --------------------------------------------------------


def public_partner(campaign: Campaign, slug: str) -> Partner | None:
    """The active partner ``slug`` if it is attached to ``campaign``, else None."""
    if not slug or len(slug) > 80:
        return None
    partner = db.session.execute(
        db.select(Partner).filter_by(slug=slug, active=True)
    ).scalar_one_or_none()
    if partner is None or campaign not in partner.campaigns:
        return None
    return partner


def all_partners() -> list[Partner]:
    return list(db.session.execute(db.select(Partner).order_by(Partner.name)).scalars())


def all_campaigns() -> list[Campaign]:
    return list(db.session.execute(db.select(Campaign).order_by(Campaign.id)).scalars())


# -- the rules -------------------------------------------------------------------------


def check(values: dict[str, Any], partner: Partner | None = None) -> dict[str, str]:
    """What is wrong with ``values`` for a new partner or for ``partner``."""
    errors: dict[str, str] = {}
    slug = values.get("slug") or ""
    if not SLUG.fullmatch(slug) or len(slug) > 80:
        errors["slug"] = _("Use lower-case letters, digits and single hyphens, e.g. viasna.")
    else:
        other = db.session.execute(db.select(Partner).filter_by(slug=slug)).scalar_one_or_none()
        if other is not None and (partner is None or other.id != partner.id):
            errors["slug"] = _("Another partner has this short name.")
    name = values.get("name") or ""
    if not name.strip():
        errors["name"] = _("Give the organisation's name.")
    for field in ("website", "privacy_url"):
        address = values.get(field) or ""
        if address and not _WEB_ADDRESS.fullmatch(address):
            errors[field] = _("Give the whole address, starting with https://")
    email = values.get("contact_email") or ""
    if email and not _EMAIL.fullmatch(email):
        errors["contact_email"] = _("Give an email address, e.g. contact@example.org.")
    if values.get("offers_consent") and not values.get("privacy_url"):
        errors["privacy_url"] = _(
            "A partner that asks for consent needs its privacy notice: supporters read it first."
        )
    if len(values.get("frame_origins") or []) > origins.MAX_ORIGINS:
        errors["frame_origins"] = _("At most %(count)d origins.", count=origins.MAX_ORIGINS)
    return errors


def values_of(partner: Partner) -> dict[str, Any]:
    return {name: getattr(partner, name) for name in FIELDS}


def _campaign_slugs(campaigns) -> list[str]:
    return sorted(c.slug for c in campaigns)


def _attach(partner: Partner, campaign_ids: list[int]) -> None:
    chosen = (
        db.session.execute(db.select(Campaign).filter(Campaign.id.in_(campaign_ids))).scalars()
        if campaign_ids
        else []
    )
    partner.campaigns = list(chosen)


def create_partner(
    values: dict[str, Any], campaign_ids: list[int], logo: bytes | None, user: User | None
) -> Partner:
    """A new partner attached to the campaigns ``campaign_ids``, with ``logo`` (checked
    again here). Raises PartnerInvalid (nothing saved). Commits, with its audit entry."""
    errors = check(values)
    logo_type = _logo_type(logo, errors)
    if errors:
        raise PartnerInvalid(errors)
    partner = Partner(**{name: values[name] for name in FIELDS if name in values})
    if logo:
        partner.logo, partner.logo_type = logo, logo_type
    _attach(partner, campaign_ids)
    db.session.add(partner)
    db.session.flush()
    after = {**values_of(partner), "campaigns": _campaign_slugs(partner.campaigns)}
    if logo:
        after["logo"] = logos.logo_digest(logo)
    audit.record(
        "create",
        "partner",
        partner.id,
        "partner_created",
        {"partner": partner.slug},
        user=user,
        changes=audit.changes_between({}, after),
    )
    db.session.commit()
    return partner


def _logo_type(logo: bytes | None, errors: dict[str, str]) -> str:
    if not logo:
        return ""
    try:
        return logos.check_logo(logo)
    except logos.LogoError as exc:
        errors["logo"] = str(exc)
        return ""


def update_partner(
    partner: Partner,
    values: dict[str, Any],
    campaign_ids: list[int] | None,
    logo: bytes | None,
    user: User | None,
) -> dict[str, list]:
    """Change the partner (its campaigns when ``campaign_ids`` is given, its logo when
    ``logo`` is); returns the changes ({field: [old, new]}), empty when nothing
    differed. A new name or privacy notice changes what the consent box shows (the
    sentence names the partner, its notice is linked beside it): consent_version
    grows, and each consent keeps the version it was given under. Raises
    PartnerInvalid (nothing saved)."""
    merged = {**values_of(partner), **{k: v for k, v in values.items() if k in FIELDS}}
    errors = check(merged, partner)
    logo_type = _logo_type(logo, errors)
    if errors:
        raise PartnerInvalid(errors)
    before = {**values_of(partner), "campaigns": _campaign_slugs(partner.campaigns)}
    for name in FIELDS:
        setattr(partner, name, merged[name])
    if campaign_ids is not None:
        _attach(partner, campaign_ids)
    after = {**values_of(partner), "campaigns": _campaign_slugs(partner.campaigns)}
    if logo:
        before["logo"] = logos.logo_digest(partner.logo) if partner.logo else ""
        partner.logo, partner.logo_type = logo, logo_type
        after["logo"] = logos.logo_digest(logo)
    changes = audit.changes_between(before, after)
    if not changes:
        db.session.rollback()
        return {}
    if any(name in changes for name in CONSENT_WORDING_FIELDS):
        changes["consent_version"] = [partner.consent_version, partner.consent_version + 1]
        partner.consent_version += 1
    audit.record(
        "update",
        "partner",
        partner.id,
        "partner_changed",
        {"fields": sorted(changes), "partner": partner.slug},
        user=user,
        changes=changes,
    )
    db.session.commit()
    return changes


def remove_logo(partner: Partner, user: User | None) -> bool:
    """Remove the partner's logo; False when it had none. Commits, audited."""
    if not partner.logo:
        return False
    digest = logos.logo_digest(partner.logo)
    partner.logo, partner.logo_type = None, ""
    audit.record(
        "update",
        "partner",
        partner.id,
        "partner_logo_removed",
        {"partner": partner.slug},
        user=user,
        changes={"logo": [digest, ""]},
    )
    db.session.commit()
    return True
