from flask import Blueprint

from ..limits import blueprint_post_limits

bp = Blueprint("supporters", __name__)

# Every POST here is rate limited; views with limits of their own override these.
blueprint_post_limits(bp, "supporter_post")

from . import (  # noqa: E402,F401
    after_sending,
    confirmation,
    data,
    display,
    landing,
    names,
    responsiveness,
    survey,
    write,
)
