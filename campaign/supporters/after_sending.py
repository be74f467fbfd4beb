"""After the letters are written: the page asking to check one's email, which names
the address and resends the link (limited; the same letters, never new ones)."""

from __future__ import annotations

from flask import redirect, render_template, session

from campaign.supporters import confirmation, submissions
from campaign.supporters.forms import ConfirmForm
from campaign.supporters.landing import campaign_route, current_campaign, here
from campaign.supporters.write_views import SUBMITTED


def _just_submitted():
    """The submission this browser has just made, or None."""
    submission_id = session.get(SUBMITTED)
    if not isinstance(submission_id, int):
        return None
    return confirmation.with_letters(submission_id)


@campaign_route("/check-your-email", via=True)
def check_email(slug: str | None = None):
    submission = _just_submitted()
    return render_template(
        "supporters/check_email.html",
        campaign=current_campaign(),
        email=submission.supporter.email if submission else None,
        form=ConfirmForm(),
    )


@campaign_route("/check-your-email/resend", methods=["POST"], via=True)
def resend(slug: str | None = None):
    submission = _just_submitted()
    form = ConfirmForm()
    if submission is None or not form.validate_on_submit():
        return redirect(here(".check_email"))
    sent = submissions.resend_confirmation(submission)
    return render_template(
        "supporters/check_email.html",
        campaign=current_campaign(),
        email=submission.supporter.email,
        form=form,
        resent=sent,
        not_resent=not sent,
    ), (200 if sent else 429)
