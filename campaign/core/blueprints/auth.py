"""Accounts of the people who run campaigns: login, logout, role checks."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
