"""Absolute links for emails, built outside any request."""

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` at PUBLIC_URL (the address supporters use)."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
