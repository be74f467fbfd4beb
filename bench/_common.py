"""What the benchmarks share: PostgreSQL and Redis from DATABASE_URL / REDIS_URL (or
SQLite and an embedded Redis), a fresh database per run, the loopback SendGrid server
as its own process, worker processes, and waiting for letters to settle.

The benchmarks empty the Redis database they are given: point REDIS_URL at a
database number nothing else uses.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from campaign.core.config import normalise_database_url  # noqa: E402

PYTHON = sys.executable
API_KEY = "SG.bench-key"


@contextlib.contextmanager
def services() -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL) for one run: a new PostgreSQL database (dropped at
    the end) when DATABASE_URL is set, else an SQLite file; REDIS_URL's database
    (emptied) when set, else an embedded Redis."""
    with (
        tempfile.TemporaryDirectory(prefix="campaign-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        base = os.environ.get("DATABASE_URL")
        if base and base.startswith("postgres"):
            url = make_url(normalise_database_url(base))
            name = f"campaign_bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))

            def drop():
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()

            stack.callback(drop)
            database_url = url.set(database=name).render_as_string(hide_password=False)
        else:
            database_url = "sqlite:///" + str(Path(tmp) / "bench.sqlite3")
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            from campaign.core.embedded_redis import embedded_redis

            redis_url = stack.enter_context(embedded_redis(Path(tmp) / "redis"))
        redis = Redis.from_url(redis_url)
        redis.flushdb()
        redis.close()
        yield database_url, redis_url


def describe(database_url: str, redis_url: str) -> str:
    db = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    redis = "embedded Redis" if redis_url.startswith("unix:") else "Redis"
    return f"{db}, {redis}, {os.cpu_count()} CPU cores, Python {sys.version.split()[0]}"


def settings(database_url: str, redis_url: str, sendgrid_host: str, **extra) -> dict[str, str]:
    """Environment for the app in the worker processes (and this process)."""
    env = {
        "CAMPAIGN_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "sendgrid",
        "MAIL_FROM": "letters@campaign.example.org",
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": sendgrid_host,
        "PUBLIC_URL": "http://campaign.example.org",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def make_app(env: dict[str, str]):
    """The app in this process, configured like the workers, its schema migrated."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from campaign import create_app

    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
    return app


class SendGridServer:
    """The project's loopback SendGrid server as its own process."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [PYTHON, "-m", "campaign.devtools.sendgrid_server", "--api-key", API_KEY, *args],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        line = self.process.stdout.readline()
        match = re.search(r"(http://\S+)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"the loopback server did not start: {line!r}")
        self.host = match.group(1)
        from campaign.devtools.sendgrid_server import RemoteSendGridLoopback

        self.remote = RemoteSendGridLoopback(self.host, timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Workers:
    """Worker processes (``python worker.py``), each in its own process group so that
    killing one also kills the RQ scheduler it forked."""

    def __init__(self, count: int, env: dict[str, str], log_dir: Path | None = None):
        self.env = {**os.environ, **env}
        # BENCH_LOG_DIR keeps the workers' logs (warnings and errors) for a look.
        if log_dir is None and os.environ.get("BENCH_LOG_DIR"):
            log_dir = Path(os.environ["BENCH_LOG_DIR"])
            log_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.started = 0
        for _ in range(count):
            self.processes.append(self._start())

    def _start(self) -> subprocess.Popen:
        self.started += 1
        if self.log_dir is None:
            return self._popen(subprocess.DEVNULL)
        with open(self.log_dir / f"worker-{self.started}.log", "w") as out:
            return self._popen(out)

    def _popen(self, out) -> subprocess.Popen:
        return subprocess.Popen(
            [PYTHON, str(ROOT / "worker.py"), "--log-level", "WARNING"],
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, index: int) -> None:
        """SIGKILL a worker (and its scheduler) and start another in its place."""
        process = self.processes[index]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.processes[index] = self._start()

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_sending() -> None:
    """Make every campaign active (the benchmarks create them paused, so that the
    workers' watchdogs do not start sending before the clock starts). In an app
    context."""
    from campaign.core.extensions import db
    from campaign.models import Campaign

    db.session.execute(db.update(Campaign).values(sending_status="active"))
    db.session.commit()


def state_counts(app) -> dict[str, int]:
    from campaign.core.extensions import db
    from campaign.models import Letter

    with app.app_context():
        counts = dict(
            db.session.execute(
                db.select(Letter.state, db.func.count()).group_by(Letter.state)
            ).all()
        )
        db.session.remove()
    return counts


def wait_settled(app, total: int, timeout: float, poll: float = 0.2, on_poll=None) -> float:
    """Wait until no letter is queued or sending; returns the seconds waited."""
    started = time.monotonic()
    while True:
        counts = state_counts(app)
        if counts.get("queued", 0) + counts.get("sending", 0) == 0:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"letters not settled after {timeout:.0f}s: {counts}")
        if on_poll is not None:
            on_poll()
        time.sleep(poll)


def sliding_max(times: list[float], window: float) -> int:
    """The largest number of ``times`` in any half-open window of ``window`` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
