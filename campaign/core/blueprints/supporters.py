"""Pages for supporters and visitors: writing, confirming, status, data, surveys."""

from flask import Blueprint

from campaign.core.limits import blueprint_post_limits

bp = Blueprint("supporters", __name__)

# Every POST here is rate limited; views with limits of their own override these.
blueprint_post_limits(bp, "supporter_post")
