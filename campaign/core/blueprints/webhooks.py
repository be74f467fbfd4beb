"""Endpoints SendGrid calls. They authenticate themselves (signatures, secret
paths), so they are exempt from CSRF."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

# View modules register their routes on import; add new ones here.
from campaign.tracking import event_views as events  # noqa: E402,F401
from campaign.tracking import inbound_views as inbound  # noqa: E402, F401
