"""Pages for organisers: campaigns, letter templates, representatives."""

from flask import Blueprint

bp = Blueprint("organisers", __name__, url_prefix="/organise")
