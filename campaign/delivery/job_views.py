"""Job actions for admins (M2): each behind a confirmation page whose form needs
the CSRF token and a ticked box, and each audited. RQ's dashboard stays read-only."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from rq.exceptions import InvalidJobOperation
from wtforms import BooleanField
from wtforms.validators import DataRequired

from campaign.accounts.decorators import roles_required
from campaign.accounts.menu import add_menu_item
from campaign.core.blueprints.staff import bp
from campaign.core.queues import ALL_QUEUES
from campaign.core.translated_form import TranslatedForm
from campaign.delivery import job_actions, queue_status
from campaign.models import Role


class ConfirmForm(TranslatedForm):
    sure = BooleanField(
        _l("I am sure: this cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


@bp.record_once
def _register(state):
    add_menu_item(state.app, "staff.jobs", _l("Job actions (admins)"), Role.ADMIN)


@bp.get("/jobs")
@roles_required(Role.ADMIN)
def jobs():
    return render_template(
        "staff/jobs.html",
        jobs=queue_status.job_queues(),
        failed={name: job_actions.failed_jobs(name) for name in ALL_QUEUES},
        queue_actions=job_actions.QUEUE_ACTIONS,
        job_actions=job_actions.JOB_ACTIONS,
    )


@bp.route("/jobs/queue/<name>/<action>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def queue_action(name: str, action: str):
    if name not in ALL_QUEUES or action not in job_actions.QUEUE_ACTIONS:
        abort(404, _("No such queue or action."))
    form = ConfirmForm()
    if form.validate_on_submit():
        count = job_actions.on_queue(name, action, current_user)
        flash(f"{name}: {job_actions.QUEUE_ACTIONS[action].done(count)}.")
        return redirect(url_for(".jobs"))
    what = _(
        "%(action)s, on the %(queue)s queue",
        action=job_actions.QUEUE_ACTIONS[action].label,
        queue=name,
    )
    return _confirm_page(form, what)


@bp.route("/jobs/job/<job_id>/<action>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def job_action(job_id: str, action: str):
    if action not in job_actions.JOB_ACTIONS or len(job_id) > 100:
        abort(404, _("No such job or action."))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            job_actions.on_job(job_id, action, current_user)
        except job_actions.UnknownTarget:
            abort(404, _("No such job (it may have finished or expired)."))
        except InvalidJobOperation:
            abort(409, _("Only a failed job can be requeued."))
        flash(f"{job_id}: {job_actions.JOB_ACTIONS[action].done(1)}.")
        return redirect(url_for(".jobs"))
    return _confirm_page(form, f"{job_actions.JOB_ACTIONS[action].label}: {job_id}")


def _confirm_page(form: ConfirmForm, what: str):
    status = 400 if request.method == "POST" else 200
    return render_template("staff/job_confirm.html", form=form, what=what), status
