"""Pages for organisers: campaigns, letter templates, representatives."""

from flask import Blueprint

bp = Blueprint("organisers", __name__, url_prefix="/organise")

# View modules register their routes on import; add new ones here.
from . import campaigns, imports, places, representatives, sending, templates, views  # noqa: E402,F401
