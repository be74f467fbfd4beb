"""Pages for organisers: campaigns, letter templates, representatives."""

from flask import Blueprint

bp = Blueprint("organisers", __name__, url_prefix="/organise")

# View modules register their routes on import; add new ones here.
from . import (  # noqa: E402,F401
    body_names,
    campaigns,
    imports,
    places,
    representatives,
    sending,
    templates,
    views,
)
