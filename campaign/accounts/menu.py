"""The management home page lists what each role may open. Blueprints add their
pages here when they are registered, so the menu never names a page that does
not exist."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_login import current_user

from campaign.core.translated_form import TranslatedForm


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: str
    roles: tuple[str, ...]


def add_menu_item(app, endpoint: str, label: str, *roles: str) -> None:
    app.extensions.setdefault("management_menu", []).append(MenuItem(endpoint, label, roles))


def management_links() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items = current_app.extensions.get("management_menu", [])
    return [
        {"url": url_for(item.endpoint), "label": str(item.label)}
        for item in items
        if current_user.has_role(*item.roles)
    ]


def csrf_form() -> TranslatedForm:
    """An empty form, for buttons that only need a CSRF token."""
    return TranslatedForm()
