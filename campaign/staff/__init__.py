"""Pages for staff: queues, replies, reports."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# View modules register their routes on import; add new ones here.
from . import held, jobs, offices, queues, replies, reports, views  # noqa: E402,F401
