"""The public responsiveness page of a campaign (when its organisers switch it
on) and the page explaining its method."""

from flask import abort, render_template
from flask_babel import gettext as _

from campaign.core.blueprints.supporters import bp
from campaign.tracking import responsiveness


@bp.get("/responsiveness/<slug>")
def responsiveness_page(slug: str):
    campaign = responsiveness.published(slug)
    if campaign is None:
        abort(404, _("This campaign does not publish how representatives respond."))
    enough, too_few, disputed = responsiveness.entries(campaign)
    return render_template(
        "supporters/responsiveness.html",
        campaign=campaign,
        enough=enough,
        too_few=too_few,
        disputed=disputed,
        min_letters=responsiveness.MIN_LETTERS,
        min_survey=responsiveness.MIN_SURVEY_ANSWERS,
    )


@bp.get("/responsiveness/method")
def responsiveness_method():
    return render_template(
        "supporters/responsiveness_method.html",
        min_letters=responsiveness.MIN_LETTERS,
        min_survey=responsiveness.MIN_SURVEY_ANSWERS,
    )
