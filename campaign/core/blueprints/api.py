"""The partners' JSON API (/api): token-authenticated, read-only, no session, no
CSRF (no browser form reaches it; each request carries its token)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")
