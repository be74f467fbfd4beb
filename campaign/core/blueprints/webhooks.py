"""Endpoints SendGrid calls. They authenticate themselves (signatures, secret
paths), so they are exempt from CSRF."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
