"""Held letters: submissions that tripped an abuse rule wait here until staff
release them (queued, then sent) or reject them (never sent)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from campaign.accounts import audit
from campaign.accounts.decorators import roles_required
from campaign.accounts.menu import add_menu_item
from campaign.core.blueprints.staff import bp
from campaign.core.extensions import db
from campaign.models import Role, Submission
from campaign.supporters import abuse


@bp.record_once
def _menu(state):
    add_menu_item(state.app, "staff.held", _l("Held letters: release or reject"), Role.STAFF)


@bp.get("/held")
@roles_required(Role.STAFF)
def held():
    submissions = abuse.held_submissions()
    # Names, addresses and letters of the supporters held.
    audit.record_access("list", "held_letters_listed", len(submissions), user=current_user)
    return render_template("staff/held.html", submissions=submissions)


def _review(submission_id: int, action) -> int:
    if db.session.get(Submission, submission_id) is None:
        abort(404, _("No such submission."))
    return action(submission_id, current_user.email)


@bp.post("/held/<int:submission_id>/release")
@roles_required(Role.STAFF)
def release_held(submission_id: int):
    count = _review(submission_id, abuse.release)
    flash(
        ngettext(
            "%(num)d letter released for sending.", "%(num)d letters released for sending.", count
        )
    )
    return redirect(url_for(".held"))


@bp.post("/held/<int:submission_id>/reject")
@roles_required(Role.STAFF)
def reject_held(submission_id: int):
    count = _review(submission_id, abuse.reject)
    flash(
        ngettext(
            "%(num)d letter rejected: it will not be sent.",
            "%(num)d letters rejected: they will not be sent.",
            count,
        )
    )
    return redirect(url_for(".held"))
