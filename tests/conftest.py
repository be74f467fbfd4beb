"""Test fixtures: real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set
(and CI=true requires them), otherwise SQLite and an embedded Redis.

Every test session gets its own database (created and dropped here), so parallel
runs on one server never meet; every test starts from empty tables and an empty
Redis database."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from campaign import create_app
from campaign.core.config import normalise_database_url
from campaign.core.extensions import db as _db

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _shared_dir() -> Path:
    """The shared test corpora (real representatives' files, real mail), which the
    project does not ship: SHARED_DATA_DIR when set, else ``shared/`` beside this
    checkout, else beside the repository it was cloned from (a fresh clone made
    elsewhere, e.g. in /tmp)."""
    if os.environ.get("SHARED_DATA_DIR"):
        return Path(os.environ["SHARED_DATA_DIR"])
    candidates = [ROOT.parent / "shared"]
    origin = subprocess.run(
        ["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if origin and "://" not in origin.removeprefix("file://"):
        candidates.append(Path(origin.removeprefix("file://")).resolve().parent / "shared")
    return next((path for path in candidates if path.is_dir()), candidates[0])


SHARED = _shared_dir()
if IN_CI and not (SHARED / "data").is_dir():
    raise pytest.UsageError(
        f"CI=true needs the shared test data at {SHARED} (or set SHARED_DATA_DIR)"
    )
# Outside CI, tests built on the shared files are skipped when they are absent.
needs_shared_data = pytest.mark.skipif(
    not (SHARED / "data").is_dir(), reason=f"no shared test data at {SHARED}"
)


# -- services ---------------------------------------------------------------


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """An empty database of its own: on the PostgreSQL server of DATABASE_URL (created
    here, dropped afterwards), or without one a SQLite file in ``directory``."""
    base = os.environ.get("DATABASE_URL")
    if IN_CI and not (base and base.startswith(("postgres", "postgresql"))):
        pytest.exit("CI=true needs DATABASE_URL pointing at PostgreSQL", returncode=2)
    if not base:
        yield "sqlite:///" + str(directory / "test.sqlite3")
        return
    url = make_url(normalise_database_url(base))
    name = f"campaign_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("REDIS_URL")
    if IN_CI and not url:
        pytest.exit("CI=true needs REDIS_URL", returncode=2)
    if url:
        yield _redis_database_of_this_process(url)
        return
    from campaign.core.embedded_redis import embedded_redis

    with embedded_redis(tmp_path_factory.mktemp("redis")) as embedded_url:
        yield embedded_url


def _redis_database_of_this_process(url: str) -> str:
    """Under pytest-xdist every test process empties its Redis database before each
    test: process gwN takes database (that of REDIS_URL) + N, so they never meet."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker[2:])
    if database > 15:
        pytest.exit(f"REDIS_URL leaves no Redis database for test process {worker}", returncode=2)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def _schema(database_url, redis_url, tmp_path_factory):
    """Build the schema once per session through the migrations themselves."""
    from flask_migrate import upgrade

    app = create_app(_test_config(database_url, redis_url, tmp_path_factory.mktemp("outbox0")))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return database_url


def _test_config(database_url: str, redis_url: str, outbox: Path, **overrides) -> dict:
    config = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "outbox",
        "MAIL_FROM": "letters@campaign.example.org",
        "MAIL_FROM_NAME": "Time for release",
        "OUTBOX_DIR": str(outbox),
        "PUBLIC_URL": "http://campaign.example.org",
        # Never the real API, even by accident.
        "SENDGRID_API_HOST": "http://127.0.0.1:9",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


# -- the app ----------------------------------------------------------------


@pytest.fixture
def make_app(_schema, redis_url, tmp_path):
    apps = []

    def factory(**overrides):
        app = create_app(_test_config(_schema, redis_url, tmp_path / "outbox", **overrides))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        redis = app.extensions.get("redis")
        if redis is not None:
            redis.close()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Tests that use the database start and end with empty tables and an empty
    Redis database. Pure tests never touch either."""
    if "_schema" not in request.fixturenames:
        yield
        return
    database_url = request.getfixturevalue("_schema")
    redis_url = request.getfixturevalue("redis_url")
    _empty(database_url, redis_url)
    yield
    _empty(database_url, redis_url)


def _empty(database_url: str, redis_url: str) -> None:
    engine = create_engine(database_url)
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # Tables that point at each other cannot be emptied one by one otherwise.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
        conn.commit()
    engine.dispose()
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    redis.close()


# -- no network beyond this machine -----------------------------------------

_real_connect = socket.socket.connect
_LOOPBACK = re.compile(r"^(127\.|::1$|localhost$)")


def _guarded_connect(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if not _LOOPBACK.match(str(host)):
            raise RuntimeError(f"tests may only connect to loopback, not {host!r}")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Fail any test that would reach a real mail server or the real SendGrid API."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


# -- helpers ----------------------------------------------------------------


@pytest.fixture
def drain(app):
    """Run a real RQ worker over the project's queues until they are empty."""
    from .delivery_support import drain_jobs

    return drain_jobs


@pytest.fixture
def seeded(app):
    from campaign.seed import seed_demo

    seed_demo()
    return app


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def free_port() -> int:
    """A loopback port nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def random_email() -> str:
    return f"supporter-{secrets.token_hex(4)}@example.org"
