"""Pages for admins: accounts and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from campaign.accounts import audit_views as audit  # noqa: E402,F401
from campaign.accounts import user_views as users  # noqa: E402, F401
