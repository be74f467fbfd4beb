"""Sending queues: per campaign, the letters waiting, scheduled, sending and failed,
per representative; the RQ queues; pause, resume and cancel (for organisers); and
RQ's own dashboard, mounted at /staff/rq behind the staff login."""

from __future__ import annotations

import rq_dashboard
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.decorators import roles_required
from ..auth.menu import add_menu_item
from ..extensions import csrf, db, login_manager
from ..models import Campaign, Role
from ..organisers.sending import sending_done_message
from ..services import queue_status, sending
from ..tasks.queues import redis_connection
from . import bp

RQ_DASHBOARD_PREFIX = "/staff/rq"


@bp.record_once
def _register(state):
    app = state.app
    add_menu_item(app, "staff.queues", _l("Sending queues"), Role.STAFF)
    add_menu_item(app, "rq_dashboard.queues_overview", _l("RQ dashboard (jobs)"), Role.STAFF)
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 5000)
    rq_dashboard.web.setup_rq_connection(app)
    # Its pages post with JavaScript and no CSRF token; a cross-site post is refused
    # by the same-origin check every form passes (security.py) and by the session
    # cookie's SameSite=Lax.
    csrf.exempt(rq_dashboard.blueprint)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=RQ_DASHBOARD_PREFIX)


def _staff_only():
    """rq-dashboard has no login of its own: staff only, like every staff page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(Role.STAFF):
        abort(403, _("Your account does not give access to this page."))
    if request.endpoint == "rq_dashboard.requeue_all" and request.method != "POST":
        abort(405)  # a state-changing link must not work from a plain GET
    # The app's own Redis client, instead of one per request.
    current_app.redis_conn = redis_connection()
    return None


if _staff_only not in rq_dashboard.blueprint.before_request_funcs.get(None, []):
    rq_dashboard.blueprint.before_request(_staff_only)


@bp.get("/queues")
@roles_required(Role.STAFF)
def queues():
    campaigns = db.session.execute(db.select(Campaign).order_by(Campaign.title)).scalars().all()
    rows = [
        (campaign, queue_status.state_counts(campaign), *queue_status.due_counts(campaign))
        for campaign in campaigns
    ]
    return render_template(
        "staff/queues.html",
        rows=rows,
        jobs=queue_status.job_queues(),
        dispatchers=queue_status.active_dispatchers(),
    )


@bp.get("/queues/<slug>")
@roles_required(Role.STAFF)
def campaign_queue(slug: str):
    campaign = _campaign(slug)
    waiting, scheduled = queue_status.due_counts(campaign)
    return render_template(
        "staff/queues_campaign.html",
        campaign=campaign,
        counts=queue_status.state_counts(campaign),
        waiting=waiting,
        scheduled=scheduled,
        representatives=queue_status.representative_queues(campaign),
        failures=queue_status.recent_failures(campaign),
        rate=queue_status.effective_rate(campaign),
        throttle_on=current_app.config["THROTTLE_ENABLED"],
        may_control=current_user.has_role(Role.ORGANISER),
    )


@bp.post("/queues/<slug>/<action>")
@roles_required(Role.ORGANISER)
def control_sending(slug: str, action: str):
    if action not in sending.ACTIONS:
        abort(404)
    campaign = _campaign(slug)
    count = sending.control(action, campaign, user=current_user)
    flash(sending_done_message(action, count))
    return redirect(url_for(".campaign_queue", slug=campaign.slug))


def _campaign(slug: str) -> Campaign:
    try:
        return sending.campaign_by_slug(slug)
    except sending.UnknownCampaign:
        abort(404, _("No such campaign."))
