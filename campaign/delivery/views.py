"""Sending queues: per campaign, the letters waiting, scheduled, sending and failed,
per representative; the RQ queues; pause, resume and cancel (for organisers); and
RQ's own dashboard, mounted read-only at /staff/rq behind the staff login."""

from __future__ import annotations

import rq_dashboard
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, parse_job_id
from werkzeug.exceptions import NotFound

from campaign.accounts.decorators import roles_required
from campaign.accounts.menu import add_menu_item
from campaign.core.blueprints.staff import bp
from campaign.core.extensions import csrf, db, login_manager
from campaign.core.queues import redis_connection
from campaign.delivery import queue_status, sending, spread
from campaign.delivery.forms import CancelSendingForm
from campaign.delivery.sending_rate import sending_rate
from campaign.models import Campaign, Role

RQ_DASHBOARD_PREFIX = "/staff/rq"
# rq-dashboard's (0.9.0) views that answer JSON; its other views are HTML pages.
_RQ_JSON_ENDPOINTS = frozenset(
    f"rq_dashboard.{name}"
    for name in (
        "list_queues",
        "list_jobs",
        "job_info",
        "list_workers",
        "delete_job_view",
        "requeue_job_view",
        "requeue_all",
        "empty_queue",
        "compact_queue",
    )
)
# Its views that change jobs: refused to everyone (M2). Admins do these on the
# project's own pages (staff/jobs.py), with a CSRF token, a confirmation and an audit entry.
_RQ_CHANGING_ENDPOINTS = frozenset(
    f"rq_dashboard.{name}"
    for name in (
        "delete_job_view",
        "requeue_job_view",
        "requeue_all",
        "empty_queue",
        "compact_queue",
    )
)
_RQ_REGISTRIES = frozenset(
    ("queued", "failed", "deferred", "started", "finished", "scheduled", "canceled")
)
_RQ_ORDERS = frozenset(("asc", "dsc"))
# A campaign's sending status, as staff read it in their language.
SENDING_STATUS_LABELS = {
    "active": _l("active"),
    "paused": _l("paused"),
    "cancelled": _l("cancelled"),
}


@bp.record_once
def _register(state):
    app = state.app
    add_menu_item(app, "staff.queues", _l("Sending queues"), Role.STAFF)
    add_menu_item(app, "rq_dashboard.queues_overview", _l("RQ dashboard (jobs)"), Role.STAFF)
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 5000)
    # Hides its delete and empty buttons; _staff_only refuses every changing view.
    app.config["RQ_DASHBOARD_DISABLE_DELETE"] = True
    rq_dashboard.web.setup_rq_connection(app)
    # Its pages post with JavaScript and no CSRF token: every such post is refused
    # by _staff_only with a reason, rather than by the CSRF check with a bare 400.
    csrf.exempt(rq_dashboard.blueprint)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=RQ_DASHBOARD_PREFIX)


@bp.app_template_global()
def sending_status_label(status: str) -> str:
    return str(SENDING_STATUS_LABELS.get(status, status))


def _staff_only():
    """rq-dashboard has no login of its own: staff only, like every staff page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(Role.STAFF):
        abort(403, _("Your account does not give access to this page."))
    if request.endpoint in _RQ_CHANGING_ENDPOINTS:
        # Read-only for everyone; the reason names where admins act instead.
        if request.method != "POST":
            abort(405)  # a state-changing link must not work from a plain GET
        reason = _("read-only: admins change jobs at %(url)s", url=url_for("staff.jobs"))
        return _rq_json_error(403, reason)
    return _check_rq_target()


def _check_rq_target():
    """A 404 for what rq-dashboard would answer with a 500: an instance number beyond
    its list of Redis URLs, a job that does not exist (or no longer does), a registry,
    order or page it does not know."""
    args = request.view_args or {}
    connection = redis_connection()
    instance = args.get("instance_number")
    if instance is not None and instance >= len(current_app.config["RQ_DASHBOARD_REDIS_URL"]):
        return _rq_not_found(_("no RQ instance %(number)s", number=instance))
    job_id = args.get("job_id")
    if job_id is not None and not Job.exists(parse_job_id(job_id), connection=connection):
        return _rq_not_found(_("no job %(id)s", id=job_id))
    if "registry_name" in args and args["registry_name"] not in _RQ_REGISTRIES:
        return _rq_not_found(_("no job registry %(name)s", name=args["registry_name"]))
    if "order" in args and args["order"] not in _RQ_ORDERS:
        return _rq_not_found(_("no order %(order)s", order=args["order"]))
    for name in ("per_page", "page"):
        if name in args and not _positive_int(args[name]):
            return _rq_not_found(_("%(name)s must be a positive whole number", name=name))
    return None


def _positive_int(value) -> bool:
    try:
        return int(value) >= 1  # as rq-dashboard reads it
    except ValueError:
        return False


def _rq_not_found(reason: str):
    """A JSON reason from rq-dashboard's JSON views, the app's 404 page from the others."""
    if request.endpoint in _RQ_JSON_ENDPOINTS:
        return _rq_json_error(404, reason)
    # Returned, not raised: this also answers from the error handlers below.
    return current_app.handle_http_exception(NotFound())


def _rq_json_error(status: int, reason: str):
    return jsonify(status="ERROR", error=reason), status, {"Cache-Control": "no-store"}


def _use_app_redis():
    """The app's own Redis client, instead of the one rq-dashboard opens per request."""
    current_app.redis_conn = redis_connection()


def _job_gone(exc: NoSuchJobError | InvalidJobOperation):
    # A job that expired or was deleted between the check above and the view's fetch.
    return _rq_not_found(_("no such job"))


# Ahead of rq-dashboard's own before_request (push_rq_connection), which raises
# LookupError for an unknown instance number; the Redis client is swapped in after it.
_rq_before = rq_dashboard.blueprint.before_request_funcs.setdefault(None, [])
if _staff_only not in _rq_before:
    _rq_before.insert(0, _staff_only)
    _rq_before.append(_use_app_redis)
    rq_dashboard.blueprint.register_error_handler(NoSuchJobError, _job_gone)
    rq_dashboard.blueprint.register_error_handler(InvalidJobOperation, _job_gone)


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
        dispatch=queue_status.dispatch_health(),
        duplicates=queue_status.duplicates(),
        rate=sending_rate(),
    )


@bp.get("/queues/<slug>")
@roles_required(Role.STAFF)
def campaign_queue(slug: str):
    return _queue_page(_campaign(slug))


def _queue_page(campaign: Campaign, cancel_form: CancelSendingForm | None = None):
    """The campaign's queue page; ``cancel_form`` carries the errors of a refused cancel."""
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
        spread=spread.outlook(campaign),
        digests_sent=queue_status.digests_sent(campaign),
        digest_time=current_app.config["DIGEST_TIME"],
        may_control=current_user.has_role(Role.ORGANISER),
        cancel_form=cancel_form or CancelSendingForm(formdata=None),
    )


@bp.post("/queues/<slug>/<action>")
@roles_required(Role.ORGANISER)
def control_sending(slug: str, action: str):
    if action not in sending.ACTIONS:
        abort(404)
    campaign = _campaign(slug)
    if action == "cancel":
        form = CancelSendingForm()
        if not form.validate_on_submit():
            return _queue_page(campaign, cancel_form=form), 422
    count = sending.control(action, campaign, user=current_user)
    flash(sending.done_message(action, count))
    return redirect(url_for(".campaign_queue", slug=campaign.slug))


def _campaign(slug: str) -> Campaign:
    try:
        return sending.campaign_by_slug(slug)
    except sending.UnknownCampaign:
        abort(404, _("No such campaign."))
