"""Accounts of the people who run campaigns: login, logout, role checks."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from campaign.accounts import link_views as links  # noqa: E402,F401
from campaign.accounts import second_factor_views as second_factor  # noqa: E402, F401
from campaign.accounts import views  # noqa: E402, F401
