from flask import Blueprint

bp = Blueprint("supporters", __name__)

from . import views  # noqa: E402,F401
