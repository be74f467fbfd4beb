"""Pages for staff: queues, replies, reports."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
