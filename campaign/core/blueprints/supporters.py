from flask import Blueprint

from campaign.core.limits import blueprint_post_limits

bp = Blueprint("supporters", __name__)

# Every POST here is rate limited; views with limits of their own override these.
blueprint_post_limits(bp, "supporter_post")

from campaign.supporters import after_sending, data, display, landing, names  # noqa: E402,F401
from campaign.supporters import confirmation_views as confirmation  # noqa: E402, F401
from campaign.supporters import write_views as write  # noqa: E402, F401
from campaign.tracking import responsiveness_views as responsiveness  # noqa: E402,F401
from campaign.tracking import survey_views as survey  # noqa: E402, F401
