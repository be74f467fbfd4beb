"""GET /healthz: is the database reachable, is Redis reachable; are letters being taken."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from campaign.core.extensions import db
from campaign.core.queues import redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks = {"database": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ok"
        checks["database"] = "unavailable"
        db.session.rollback()
    try:
        redis_connection().ping()
    except Exception:  # noqa: BLE001
        checks["redis"] = "unavailable"
    healthy = all(v == "ok" for v in checks.values())
    # Informative only: a stalled dispatcher is for the operator, not the load
    # balancer (the site itself still works), so it does not change the status code.
    checks["dispatch"] = _dispatch() if checks["database"] == "ok" else "unknown"
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503


def _dispatch() -> str:
    from campaign.delivery.queue_status import dispatch_health

    try:
        return "stalled" if dispatch_health().stalled else "ok"
    except Exception:  # noqa: BLE001 - never let this field break the health check
        db.session.rollback()
        return "unknown"
