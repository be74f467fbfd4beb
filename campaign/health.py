"""GET /healthz: is the database reachable, is Redis reachable."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import db
from .tasks.queues import redis_connection

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
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503
