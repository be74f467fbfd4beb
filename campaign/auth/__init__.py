"""Accounts of the people who run campaigns: login, logout, role checks."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import links, second_factor, views  # noqa: E402,F401
