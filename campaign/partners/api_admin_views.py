"""Admins' page of one partner's API access: its tokens (made, shown once, revoked)
and its webhook endpoints (added, their secret shown, deactivated)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.admin import bp
from campaign.core.translated_form import TranslatedForm
from campaign.core.view_helpers import get_or_404
from campaign.models import Partner, PartnerApiToken, Role, WebhookEndpoint
from campaign.partners import tokens, webhook_log, webhook_urls, webhooks
from campaign.partners.api_admin_forms import EndpointForm, TokenForm


def url_refusal(code: str) -> str:
    """Why an address cannot be used, in the admin's language (webhook_urls.REASONS)."""
    return {
        "length": _("The address is too long (at most 500 characters)."),
        "characters": _("The address contains spaces, control characters or backslashes."),
        "scheme": _("The address must start with https://."),
        "userinfo": _("The address may not contain a user name or password."),
        "host": _("The address has no valid host name."),
        "port": _("The address has an invalid port."),
        "resolve": _("The host name could not be found."),
        "address": _(
            "The host name leads to an address inside a private network or this "
            "machine; only public addresses can receive events."
        ),
    }[code]


def _partner(partner_id: int) -> Partner:
    return get_or_404(Partner, partner_id, _("There is no such partner."))


def _page(partner: Partner, token_form=None, endpoint_form=None, status: int = 200):
    return render_template(
        "partners/api_access.html",
        partner=partner,
        tokens=tokens.tokens_of(partner),
        expires_at=tokens.expires_at,
        endpoints=webhooks.endpoints_of(partner),
        token_form=token_form or TokenForm(),
        endpoint_form=endpoint_form or EndpointForm(),
    ), status


@bp.get("/partners/<int:partner_id>/api")
@roles_required(Role.ADMIN)
def partner_api(partner_id: int):
    return _page(_partner(partner_id))


@bp.post("/partners/<int:partner_id>/api/tokens")
@roles_required(Role.ADMIN)
def create_token(partner_id: int):
    partner = _partner(partner_id)
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(partner, token_form=form, status=422)
    plain, row = tokens.create_token(partner, form.label.data, current_user)
    # Shown in this answer only (never flashed: the session cookie would carry it).
    return render_template(
        "partners/api_token_created.html",
        partner=partner,
        token=row,
        plain=plain,
        expires_at=tokens.expires_at(row),
    ), 201


@bp.post("/partners/<int:partner_id>/api/tokens/<int:token_id>/revoke")
@roles_required(Role.ADMIN)
def revoke_token(partner_id: int, token_id: int):
    partner = _partner(partner_id)
    token = get_or_404(PartnerApiToken, token_id, _("There is no such token."))
    if token.partner_id != partner.id:
        abort(404, _("There is no such token."))
    if not TranslatedForm().validate_on_submit():
        abort(400)
    if tokens.revoke_token(token, current_user):
        flash(_("The token %(prefix)s… was revoked.", prefix=token.prefix), "success")
    return redirect(url_for(".partner_api", partner_id=partner.id))


@bp.post("/partners/<int:partner_id>/api/endpoints")
@roles_required(Role.ADMIN)
def add_endpoint(partner_id: int):
    partner = _partner(partner_id)
    form = EndpointForm()
    if not form.validate_on_submit():
        return _page(partner, endpoint_form=form, status=422)
    try:
        endpoint = webhooks.add_endpoint(partner, form.url.data, current_user)
    except webhook_urls.UnsafeURL as exc:
        form.url.errors = [url_refusal(exc.code)]
        return _page(partner, endpoint_form=form, status=422)
    except webhooks.TooManyEndpoints:
        form.url.errors = [
            _(
                "This partner has %(count)s active endpoints already; deactivate one first.",
                count=webhooks.MAX_ACTIVE_ENDPOINTS,
            )
        ]
        return _page(partner, endpoint_form=form, status=422)
    flash(_("The endpoint was added. Give the partner its secret, shown below."), "success")
    return redirect(url_for(".webhook_endpoint", partner_id=partner.id, endpoint_id=endpoint.id))


def _endpoint(partner: Partner, endpoint_id: int) -> WebhookEndpoint:
    endpoint = get_or_404(WebhookEndpoint, endpoint_id, _("There is no such endpoint."))
    if endpoint.partner_id != partner.id:
        abort(404, _("There is no such endpoint."))
    return endpoint


@bp.get("/partners/<int:partner_id>/api/endpoints/<int:endpoint_id>")
@roles_required(Role.ADMIN)
def webhook_endpoint(partner_id: int, endpoint_id: int):
    partner = _partner(partner_id)
    endpoint = _endpoint(partner, endpoint_id)
    return render_template(
        "partners/webhook_endpoint.html",
        partner=partner,
        endpoint=endpoint,
        deliveries=webhook_log.deliveries(endpoint_id=endpoint.id, per_page=20),
    )


@bp.post("/partners/<int:partner_id>/api/endpoints/<int:endpoint_id>/deactivate")
@roles_required(Role.ADMIN)
def deactivate_endpoint(partner_id: int, endpoint_id: int):
    partner = _partner(partner_id)
    endpoint = _endpoint(partner, endpoint_id)
    if not TranslatedForm().validate_on_submit():
        abort(400)
    if webhooks.deactivate_endpoint(endpoint, current_user):
        flash(_("The endpoint was deactivated: nothing more is sent to it."), "success")
    return redirect(url_for(".partner_api", partner_id=partner.id))
