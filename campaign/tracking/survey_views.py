"""The follow-up survey page. Opening its link changes nothing (mail scanners
open links); the page's form records the answers."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from campaign.core import tokens
from campaign.core.blueprints.supporters import bp
from campaign.core.extensions import db
from campaign.core.translated_form import TranslatedForm
from campaign.models import SurveyInvitation
from campaign.models.tracking import SURVEY_ANSWERS
from campaign.tracking import surveys

ANSWER_LABELS = {
    "yes": _l("Yes, they replied"),
    "automatic": _l("Only an automatic reply"),
    "no": _l("No"),
    "not_yet": _l("Not yet"),
}


class SurveyForm(TranslatedForm):
    """Only the CSRF token: the questions depend on the invitation, read below."""


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey(token: str):
    try:
        invitation_id = surveys.read_survey_token(token)
    except tokens.ExpiredToken:
        return render_template("supporters/survey_expired.html"), 410
    except tokens.InvalidToken:
        abort(404, _l("This link is not valid. Please check that you copied all of it."))
    invitation = db.session.get(SurveyInvitation, invitation_id)
    # A supporter who deleted their data: their links show nothing of them.
    if invitation is None or invitation.supporter.anonymised_at is not None:
        abort(404, _l("This survey no longer exists."))
    form = SurveyForm()
    answers = surveys.open_answers(invitation)
    if request.method == "POST" and form.validate_on_submit():
        given = {}
        for answer in answers:
            value = request.form.get(f"answer-{answer.id}", "")
            if value in SURVEY_ANSWERS:
                given[answer.id] = (value, request.form.get(f"note-{answer.id}", ""))
        surveys.record_answers(invitation, given)
        return redirect(url_for(".survey", token=token, saved=1))
    open_ids = {answer.id for answer in answers}
    replied = [a for a in invitation.answers if a.id not in open_ids]
    return render_template(
        "supporters/survey.html",
        form=form,
        answers=answers,
        replied=replied,
        choices=[(value, ANSWER_LABELS[value]) for value in ANSWER_LABELS],
        saved=request.args.get("saved") == "1",
        note_max=surveys.NOTE_MAX,
    )
