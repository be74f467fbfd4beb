"""The webhook delivery log (staff and admins)."""

from __future__ import annotations

from flask import render_template, request

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.staff import bp
from campaign.core.view_helpers import page_number
from campaign.models import Role
from campaign.partners import webhook_log


@bp.get("/webhooks")
@roles_required(Role.STAFF)
def webhook_deliveries():
    state = request.args.get("state", "")
    state = state if state in webhook_log.STATES else ""
    return render_template(
        "staff/webhook_deliveries.html",
        log=webhook_log.deliveries(page=page_number(request.args.get("page")), state=state or None),
        state=state,
        states=webhook_log.STATES,
    )
