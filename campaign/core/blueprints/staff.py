"""Pages for staff: queues, replies, reports."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# View modules register their routes on import; add new ones here.
from campaign.delivery import held_views as held  # noqa: E402,F401
from campaign.delivery import job_views as jobs  # noqa: E402, F401
from campaign.delivery import views as queues  # noqa: E402, F401
from campaign.people import office_views as offices  # noqa: E402,F401
from campaign.tracking import home_views as views  # noqa: E402, F401
from campaign.tracking import reply_views as replies  # noqa: E402,F401
from campaign.tracking import report_views as reports  # noqa: E402, F401
