"""`flask db upgrade` builds the schema from nothing, and the migrations match the models."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from campaign import create_app
from campaign.core.config import normalise_database_url
from campaign.core.extensions import db


def _fresh_databases(tmp_path):
    yield "sqlite", "sqlite:///" + str(tmp_path / "fresh.sqlite3"), None
    base = os.environ.get("DATABASE_URL")
    if base and base.startswith("postgres"):
        url = make_url(normalise_database_url(base))
        name = f"campaign_mig_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield (
            "postgresql",
            url.set(database=name).render_as_string(hide_password=False),
            (admin, name),
        )


def _drop(cleanup):
    if cleanup:
        admin, name = cleanup
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_then_models_and_migrations_agree(tmp_path, redis_url):
    seen = []
    for dialect, url, cleanup in _fresh_databases(tmp_path):
        seen.append(dialect)
        try:
            app = create_app(
                {
                    "ENV": "testing",
                    "SQLALCHEMY_DATABASE_URI": url,
                    "REDIS_URL": redis_url,
                    "SECRET_KEY": "k" * 32,
                }
            )
            with app.app_context():
                upgrade()
                tables = set(inspect(db.engine).get_table_names())
                assert {
                    "campaign",
                    "body",
                    "representative",
                    "letter",
                    "letter_event",
                    "supporter",
                    "submission",
                    "letter_template",
                    "template_version",
                } <= tables
                with db.engine.connect() as conn:
                    diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
                assert diff == [], f"models and migrations differ on {dialect}: {diff}"
                downgrade(revision="base")
                assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
                db.engine.dispose()
        finally:
            _drop(cleanup)
    if os.environ.get("CI", "").lower() == "true":
        assert "postgresql" in seen, "CI must check the migrations on PostgreSQL"
    elif "postgresql" not in seen:
        pytest.skip("PostgreSQL half skipped: DATABASE_URL is not set (SQLite half passed)")


def test_the_migrations_form_one_line():
    """`flask db upgrade` needs a single head: parallel branches must be merged."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    migrations = Path(__file__).resolve().parents[1] / "migrations"
    config = Config(str(migrations / "alembic.ini"))
    config.set_main_option("script_location", str(migrations))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
