"""Pause, resume or cancel a campaign's sending, from the campaign's page."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.decorators import roles_required
from campaign.campaigns.views import campaign_page
from campaign.core.blueprints.organisers import bp
from campaign.core.view_helpers import get_or_404
from campaign.delivery import sending
from campaign.delivery.forms import CancelSendingForm
from campaign.models import Campaign, Role


@bp.post("/campaigns/<int:campaign_id>/sending/<action>")
@roles_required(Role.ORGANISER)
def control_sending(campaign_id: int, action: str):
    if action not in sending.ACTIONS:
        abort(404)
    campaign = get_or_404(Campaign, campaign_id, _("There is no such campaign."))
    if action == "cancel":
        form = CancelSendingForm()
        if not form.validate_on_submit():
            return campaign_page(campaign, cancel_form=form), 422
    count = sending.control(action, campaign, user=current_user)
    flash(sending.done_message(action, count), "success")
    return redirect(url_for(".edit_campaign", campaign_id=campaign.id))
