"""Helpers for the delivery tests: an app sending through the loopback SendGrid
server, backlogs of queued letters, and running the dispatcher in this process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from campaign.core.extensions import db
from campaign.devtools.sendgrid_server import Faults, SendGridLoopback
from campaign.models import Letter, LetterEvent

API_KEY = "SG.test-key"


@pytest.fixture
def sendgrid():
    server = SendGridLoopback(api_key=API_KEY, faults=Faults(hang_seconds=3)).start()
    yield server
    server.stop()


def sendgrid_settings(server, **overrides) -> dict:
    settings = {
        "MAIL_BACKEND": "sendgrid",
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": server.host,
        "SENDGRID_TIMEOUT": 0.5,
        "THROTTLE_ENABLED": False,
        "THROTTLE_REBUILD_SETTLE_SECONDS": 0,
        "SEND_RETRY_BASE_SECONDS": 30.0,
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def sg_app(make_app, sendgrid):
    """An app (context pushed) sending through the loopback SendGrid server, with
    the throttle off; tests that need other settings use make_app themselves."""
    app = make_app(**sendgrid_settings(sendgrid))
    with app.app_context():
        yield app


def dispatch_all(max_passes: int = 200, batch: int = 100) -> Counter:
    """Run dispatch passes in this process until nothing is due."""
    from campaign.delivery import dispatch

    totals: Counter = Counter()
    for _ in range(max_passes):
        result = dispatch.dispatch_pass(batch)
        totals.update(result.counts)
        if result.idle:
            return totals
        if result.global_wait is not None:
            time.sleep(min(result.global_wait, 1.0))
    raise AssertionError(f"still dispatching after {max_passes} passes: {totals}")


def make_due(*letter_ids: int) -> None:
    """Make letters waiting for a retry or the throttle due now."""
    from campaign.models.base import utcnow

    query = db.update(Letter).where(Letter.state == "queued")
    if letter_ids:
        query = query.where(Letter.id.in_(letter_ids))
    db.session.execute(query.values(next_attempt_at=utcnow()))
    db.session.commit()


def letter(letter_id: int) -> Letter:
    db.session.expire_all()
    return db.session.get(Letter, letter_id)


def moves(letter_id: int) -> list[tuple[str | None, str]]:
    events = db.session.execute(
        db.select(LetterEvent).where(LetterEvent.letter_id == letter_id).order_by(LetterEvent.id)
    ).scalars()
    return [(e.from_state, e.to_state) for e in events]


def states() -> Counter:
    db.session.expire_all()
    return Counter(db.session.execute(db.select(Letter.state)).scalars())


def drain_jobs() -> None:
    """Run a real RQ worker, in this process and the current app, until the queues
    are empty (scheduled jobs are not run)."""
    from campaign.core.queues import make_worker

    make_worker().work(burst=True, with_scheduler=False)
    db.session.remove()


# -- worker processes ------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def worker_env(database_url: str, redis_url: str, sendgrid_host: str, **settings) -> dict:
    """Environment of `python worker.py` against the test database, Redis and the
    loopback SendGrid server; ``settings`` override (as environment variables)."""
    env = {
        **os.environ,
        "CAMPAIGN_ENV": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "sendgrid",
        "MAIL_FROM": "letters@campaign.example.org",
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": sendgrid_host,
        "SENDGRID_TIMEOUT": "2",
        "THROTTLE_ENABLED": "0",
        "SEND_RETRY_BASE_SECONDS": "30",
    }
    env.update({key: str(value) for key, value in settings.items()})
    return env


def start_worker(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """`python worker.py` in its own process group (with the RQ scheduler it forks)."""
    with open(log, "a") as out:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py"), "--log-level", "WARNING", *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def signal_worker(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def stop_worker(process: subprocess.Popen) -> None:
    signal_worker(process, signal.SIGCONT)
    signal_worker(process, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        signal_worker(process, signal.SIGKILL)
        process.wait()


def wait_until(condition, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll ``condition()`` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(interval)


def copies_by_letter(server) -> Counter:
    """How many times the loopback server accepted each letter (by its letter_id)."""
    return Counter(int(m.custom_args["letter_id"]) for m in server.messages)
