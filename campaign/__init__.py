"""Email advocacy for the release of Belarus's political prisoners."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from campaign.core.config import load_config
from campaign.core.extensions import csrf, db, login_manager, migrate
from campaign.core.i18n import init_i18n
from campaign.core.resources import resource_dir


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` in every route: a number no database row can have (a tampered link)
    does not match, so it is a 404 rather than an overflow in the query. Every id is
    an integer column (PostgreSQL's 32-bit integer)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_management(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from campaign import routes
    from campaign.accounts.menu import add_menu_item
    from campaign.models import Role

    routes.register_management(app)
    add_menu_item(app, "organisers.index", _l("Organise campaigns"), Role.ORGANISER)
    add_menu_item(app, "organisers.campaigns", _l("Campaigns and letters"), Role.ORGANISER)
    add_menu_item(app, "organisers.representatives", _l("Representatives"), Role.ORGANISER)
    add_menu_item(app, "organisers.imports", _l("Import representatives"), Role.ORGANISER)
    add_menu_item(app, "admin.users", _l("Accounts"), Role.ADMIN)
    add_menu_item(app, "admin.audit_log", _l("Audit log"), Role.ADMIN)
    add_menu_item(app, "admin.security", _l("Second factor for roles"), Role.ADMIN)
    add_menu_item(app, "admin.partners", _l("Partner organisations"), Role.ADMIN)
    add_menu_item(app, "staff.index", _l("Staff: queues, replies, reports"), Role.STAFF)
    add_menu_item(app, "staff.replies", _l("Replies"), Role.STAFF)
    add_menu_item(app, "staff.reports", _l("Response reports"), Role.STAFF)
    add_menu_item(app, "staff.webhook_deliveries", _l("Webhook deliveries"), Role.STAFF)


def create_app(config: dict | None = None) -> Flask:
    """Build the application. ``config`` overrides settings read from the environment
    (tests pass their own). Raises config.ConfigError on a missing or bad setting."""
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_relative_config=True,
    )
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.config.update(load_config(app.instance_path, config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["DEBUG"] = app.config["ENV"] == "development" and app.debug

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    init_i18n(app)

    from campaign import models  # noqa: F401 - the mapped classes
    from campaign.accounts.menu import csrf_form, management_links
    from campaign.core import sqlite  # noqa: F401 - SQLite pragmas
    from campaign.routes import register_public

    register_public(app)
    register_management(app)
    app.jinja_env.globals.update(management_links=management_links, csrf_form=csrf_form)
    if app.config["ENV"] == "development" and app.config["MAIL_BACKEND"] == "outbox":
        from campaign.dev import bp as dev_bp

        app.register_blueprint(dev_bp)

    from campaign.core.limits import init_limits
    from campaign.core.security import init_security

    init_limits(app)
    init_security(app)

    from campaign.cli import register_cli
    from campaign.core.errors import register_error_handlers

    register_cli(app)
    register_error_handlers(app)
    if not app.debug and not app.testing:
        from campaign.core.redaction import configure_logging

        configure_logging(logging.INFO)
    return app
