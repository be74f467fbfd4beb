"""Campaigns: list, create, edit (dates, language, targets, figures, throttle); the
page also shows the sending controls (sending.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.decorators import roles_required
from campaign.campaigns import campaigns as campaign_service
from campaign.campaigns.forms import CampaignForm, digest_data, digest_kinds_of
from campaign.core.blueprints.organisers import bp
from campaign.core.extensions import db
from campaign.core.view_helpers import field_errors, get_or_404
from campaign.delivery import sending, spread
from campaign.delivery.forms import CancelSendingForm
from campaign.models import Campaign, Role
from campaign.people import directory

THROTTLE_DEFAULTS = {
    "throttle_per_second": 5.0,
    "throttle_rep_per_hour": 30,
    "throttle_rep_per_day": 300,
    "throttle_domain_per_minute": 60,
    "spread_daily_ceiling": 24,
}


def _values(form: CampaignForm) -> dict:
    countries, _bad = campaign_service.parse_countries(form.target_countries.data or "")
    values = {name: getattr(form, name).data for name in campaign_service.FIELDS}
    values.update(
        slug=(form.slug.data or "").strip().lower(),
        title=(form.title.data or "").strip(),
        default_language=(form.default_language.data or "").strip().lower(),
        target_countries=countries,
        target_body_kinds=list(form.target_body_kinds.data or []),
        send_window_weekdays_only=bool(form.send_window_weekdays_only.data),
        spread_until_close=bool(form.spread_until_close.data),
        spread_ends_at=_utc(form.spread_ends_at.data),
        digest_kinds=digest_kinds_of(form),
        public_responsiveness=bool(form.public_responsiveness.data),
        is_default=bool(form.is_default.data),
        **{
            name: (getattr(form, name).data or "").strip().replace("\r\n", "\n")
            for name in ("organiser_name", "organiser_address", "organiser_email")
            + ("organiser_website",)
        },
    )
    if values.get("spread_daily_ceiling") is None:
        # Not given: the campaign keeps its ceiling (a new one gets the default).
        values.pop("spread_daily_ceiling", None)
    return values


def _utc(moment: datetime | None) -> datetime | None:
    """A moment the form gives without a zone, read as UTC (the form says so)."""
    return None if moment is None else moment.replace(tzinfo=UTC)


def _countries_ok(form: CampaignForm) -> bool:
    _codes, bad = campaign_service.parse_countries(form.target_countries.data or "")
    if bad:
        form.target_countries.errors = [
            *form.target_countries.errors,
            _("Not country codes: %(codes)s", codes=", ".join(bad)),
        ]
    return not bad


def _digest_kinds_known(form: CampaignForm) -> bool:
    """A posted digest choice for a kind of body the form does not have is refused
    at the digests' group (it would otherwise be dropped without a word)."""
    unknown = form.unknown_digest_fields(request.form)
    if unknown:
        form.digest_kinds.errors = [
            *form.digest_kinds.errors,
            _("Unknown kind of body: %(kinds)s", kinds=", ".join(unknown)),
        ]
    return not unknown


def _valid(form: CampaignForm, campaign: Campaign | None = None) -> bool:
    """Check the fields and the campaign's rules together, so that every mistake is
    shown at once rather than one round after another."""
    if not form.is_submitted():
        return False
    fields_ok = form.validate()
    countries_ok = _countries_ok(form)
    kinds_ok = _digest_kinds_known(form)
    values = _values(form)
    if campaign is not None:
        values = {**campaign_service.values_of(campaign), **values}
    rule_errors = campaign_service.check(values, campaign)
    field_errors(form, {k: v for k, v in rule_errors.items() if not getattr(form, k).errors})
    return fields_ok and countries_ok and kinds_ok and not rule_errors


@bp.get("/campaigns")
@roles_required(Role.ORGANISER)
def campaigns():
    rows = db.session.execute(db.select(Campaign).order_by(Campaign.id)).scalars()
    return render_template(
        "organisers/campaigns.html",
        campaigns=list(rows),
        default=directory.default_campaign(),
        open_ids={c.id for c in directory.open_campaigns()},
    )


@bp.post("/campaigns/<int:campaign_id>/default")
@roles_required(Role.ORGANISER)
def make_default_campaign(campaign_id: int):
    """The site's first addresses (/, /write/…) serve this campaign from now on."""
    campaign = get_or_404(Campaign, campaign_id, _("There is no such campaign."))
    campaign_service.make_default(campaign, current_user)
    flash(_("The site's first addresses now serve %(title)s.", title=campaign.title), "success")
    return redirect(url_for(".campaigns"))


@bp.route("/campaigns/new", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def new_campaign():
    form = CampaignForm(data={"default_language": "en", **THROTTLE_DEFAULTS, **_zero_figures()})
    if _valid(form):
        try:
            campaign = campaign_service.create_campaign(
                _values(form), current_user, default_letters=bool(form.default_letters.data)
            )
        except campaign_service.CampaignInvalid as exc:
            field_errors(form, exc.errors)
        else:
            flash(_("The campaign was created."), "success")
            return redirect(url_for(".edit_campaign", campaign_id=campaign.id))
    return render_template("organisers/campaign_form.html", form=form, campaign=None), (
        422 if form.errors else 200
    )


def _zero_figures() -> dict:
    return {name: 0 for name in campaign_service.FIGURES}


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def edit_campaign(campaign_id: int):
    campaign = get_or_404(Campaign, campaign_id, _("There is no such campaign."))
    form = _edit_form(campaign)
    if _valid(form, campaign):
        try:
            changes = campaign_service.update_campaign(campaign, _values(form), current_user)
        except campaign_service.CampaignInvalid as exc:
            field_errors(form, exc.errors)
        else:
            if changes:
                flash(_("Saved."), "success")
            else:
                flash(_("Nothing was changed."), "notice")
            return redirect(url_for(".edit_campaign", campaign_id=campaign.id))
    return campaign_page(campaign, form), 422 if form.errors else 200


def _edit_form(campaign: Campaign, posted: bool = True) -> CampaignForm:
    """The campaign's form: as posted (when ``posted`` and it was), else as saved."""
    saved = digest_data(campaign.digest_kinds)
    form = (
        CampaignForm(obj=campaign, data=saved)
        if posted
        else CampaignForm(formdata=None, obj=campaign, data=saved)
    )
    del form.default_letters
    if not (posted and form.is_submitted()):
        form.target_countries.data = ", ".join(campaign.target_countries or [])
    return form


def campaign_page(
    campaign: Campaign,
    form: CampaignForm | None = None,
    cancel_form: CancelSendingForm | None = None,
) -> str:
    """The campaign's page: its form (``form``, or as saved) and its sending controls
    (``cancel_form`` with its errors, or blank)."""
    return render_template(
        "organisers/campaign_form.html",
        form=form or _edit_form(campaign, posted=False),
        campaign=campaign,
        cancel_form=cancel_form or CancelSendingForm(formdata=None),
        queued=sending.queued_count(campaign),
        spread=spread.outlook(campaign),
    )
