"""Email advocacy for the release of Belarus's political prisoners."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from .config import load_config
from .extensions import csrf, db, login_manager, migrate
from .i18n import init_i18n
from .resources import resource_dir


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` in every route: a number no database row can have (a tampered link)
    does not match, so it is a 404 rather than an overflow in the query."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def register_management(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from .admin import bp as admin_bp
    from .auth.menu import add_menu_item
    from .models import Role
    from .organisers import bp as organisers_bp
    from .staff import bp as staff_bp
    from .webhooks import bp as webhooks_bp

    app.register_blueprint(organisers_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(staff_bp)
    csrf.exempt(webhooks_bp)
    app.register_blueprint(webhooks_bp)
    add_menu_item(app, "organisers.index", _l("Organise campaigns"), Role.ORGANISER)
    add_menu_item(app, "organisers.campaigns", _l("Campaigns and letters"), Role.ORGANISER)
    add_menu_item(app, "organisers.representatives", _l("Representatives"), Role.ORGANISER)
    add_menu_item(app, "organisers.imports", _l("Import representatives"), Role.ORGANISER)
    add_menu_item(app, "admin.users", _l("Accounts"), Role.ADMIN)
    add_menu_item(app, "admin.audit_log", _l("Audit log"), Role.ADMIN)
    add_menu_item(app, "admin.security", _l("Second factor for roles"), Role.ADMIN)
    add_menu_item(app, "staff.index", _l("Staff: queues, replies, reports"), Role.STAFF)
    add_menu_item(app, "staff.replies", _l("Replies"), Role.STAFF)
    add_menu_item(app, "staff.reports", _l("Response reports"), Role.STAFF)


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

    from . import models, sqlite  # noqa: F401 - the mapped classes; SQLite pragmas
    from .auth import bp as auth_bp
    from .auth.menu import csrf_form, management_links
    from .health import bp as health_bp
    from .supporters import bp as supporters_bp

    app.register_blueprint(supporters_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    register_management(app)
    app.jinja_env.globals.update(management_links=management_links, csrf_form=csrf_form)
    if app.config["ENV"] == "development" and app.config["MAIL_BACKEND"] == "outbox":
        from .dev import bp as dev_bp

        app.register_blueprint(dev_bp)

    from .limits import init_limits
    from .security import init_security

    init_limits(app)
    init_security(app)

    from .cli import register_cli
    from .errors import register_error_handlers

    register_cli(app)
    register_error_handlers(app)
    if not app.debug and not app.testing:
        from .redaction import configure_logging

        configure_logging(logging.INFO)
    return app
