"""Pages for organisers: campaigns, letter templates, representatives."""

from flask import Blueprint

bp = Blueprint("organisers", __name__, url_prefix="/organise")

# View modules register their routes on import; add new ones here.
from campaign.campaigns import home_views as views  # noqa: E402, F401
from campaign.campaigns import views as campaigns  # noqa: E402,F401
from campaign.delivery import sending_views as sending  # noqa: E402,F401
from campaign.letters import views as templates  # noqa: E402,F401
from campaign.people import body_name_views as body_names  # noqa: E402,F401
from campaign.people import import_views as imports  # noqa: E402, F401
from campaign.people import place_views as places  # noqa: E402, F401
from campaign.people import views as representatives  # noqa: E402, F401
