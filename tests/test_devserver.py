"""`make run` (python -m campaign.devserver) for real: what it prints once ready (the
site, the management login, the outbox, Redis, the worker's log, the docs), the
development admin it creates on an empty database, and a clean stop; and the rule
that no such account is ever created outside development."""

from __future__ import annotations

import http.cookiejar
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from campaign.accounts.accounts import DEVELOPMENT_ADMIN, create_development_admin
from campaign.core.extensions import db
from campaign.models import AuditEntry, Role, User

from .conftest import ROOT, csrf_token, free_port
from .test_auth import make_user

READY_SECONDS = 120
# What the worker and the clock say as they start and work (RQ's loggers).
WORKER_CHATTER = ("rq.worker", "rq.scheduler", "rq.cron", "Listening on")


class DevServer:
    """`python -m campaign.devserver` in its own process, its console read line by line."""

    def __init__(self, instance: Path, port: int, sigint_ignored: bool = False):
        # What `make run` gets on a fresh machine: no DATABASE_URL, no REDIS_URL.
        inherited = ("DATABASE_URL", "REDIS_URL", "CAMPAIGN_ENV", "SECRET_KEY", "OUTBOX_DIR")
        env = {k: v for k, v in os.environ.items() if k not in inherited}
        env.update(PORT=str(port), INSTANCE_DIR=str(instance), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "campaign.devserver"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # As a shell starts a command in the background: SIGINT ignored on entry.
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            if sigint_ignored
            else None,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_until_ready(self) -> dict[str, str]:
        """The console up to "Stop with Ctrl+C."; returns the ready block's fields."""
        deadline = time.monotonic() + READY_SECONDS
        while not self.lines or self.lines[-1] != "Stop with Ctrl+C.":
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                pytest.fail("not ready in time:\n" + "\n".join(self.lines))
            if line is None:
                pytest.fail("the development server stopped:\n" + "\n".join(self.lines))
            self.lines.append(line)
        start = self.lines.index("Ready.")
        fields = {}
        for line in self.lines[start + 1 : -1]:
            name, sep, value = line.strip().partition(": ")
            assert sep, line
            fields[name] = value.strip()
        return fields

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.wait()

    def wait(self) -> int:
        """Its exit code, once it has ended; its remaining console lines read."""
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._reader.join(timeout=10)
            self.process.stdout.close()
            while (line := self._queue.get_nowait()) is not None:
                self.lines.append(line)


def log_in(base: str, email: str, password: str) -> str:
    """Log in through the login form as a browser would; returns the admin's account list."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/login", timeout=30) as response:
        page = response.read().decode()
    form = {"csrf_token": csrf_token(page), "email": email, "password": password}
    with opener.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=30) as landed:
        assert urllib.parse.urlsplit(landed.url).path != "/login", "the login was refused"
    with opener.open(f"{base}/admin/users", timeout=30) as response:
        return response.read().decode()


@pytest.mark.slow
def test_make_run_prints_where_everything_is_and_the_admin_login(tmp_path):
    instance, port = tmp_path / "instance", free_port()
    server = DevServer(instance, port)
    try:
        ready = server.wait_until_ready()
        base = f"http://127.0.0.1:{port}"
        assert ready["site"] == f"{base}/"
        assert ready["outbox"].startswith(f"{instance / 'outbox'}  (listed at {base}/dev/outbox)")
        assert ready["Redis"].startswith("unix://") and "embedded" in ready["Redis"]
        socket_file = Path(ready["Redis"].split()[0].removeprefix("unix://"))
        assert socket_file.exists()
        log_path = Path(ready["worker log"].split()[0])
        assert log_path == instance / "logs" / "worker.log"
        # The worker's chatter went to its log, none of it to the console.
        assert "rq.worker" in log_path.read_text()
        # Where the documentation is: the command that builds it, and the page to open.
        assert ready["docs"].startswith("make docs, then open site/index.html")
        assert (ROOT / "mkdocs.yml").exists() and "make docs-serve" in ready["docs"]
        console = "\n".join(server.lines)
        assert not any(chatter in console for chatter in WORKER_CHATTER), console

        assert ready["management"] == f"{base}/login as {DEVELOPMENT_ADMIN}"
        password, note = ready["password"].split(maxsplit=1)
        assert note == "(shown only now: the account was just created)"
        email = DEVELOPMENT_ADMIN
        assert len(password) >= 20
        accounts = log_in(base, email, password)
        assert DEVELOPMENT_ADMIN in accounts and "admin" in accounts
        with urllib.request.urlopen(f"{base}/dev/outbox", timeout=30) as response:
            assert response.status == 200
        # A second one on the same folder would share, then stop, this one's Redis.
        second = DevServer(instance, free_port())
        assert second.wait() == 1
        assert second.lines == [
            f"another `make run` is using {instance}: stop it, or set INSTANCE_DIR"
        ]
        assert DEVELOPMENT_ADMIN in log_in(base, email, password)
        children = server.descendants()
        assert len(children) >= 2  # the worker and the clock (and the embedded Redis)
    finally:
        code = server.stop()
    assert code == 0, "\n".join(server.lines)
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert alive == [], alive
    assert not socket_file.exists()  # the embedded Redis was shut down

    # Started again on the same database: the account exists, no password is shown.
    # Started as a background job this time, and stopped by Ctrl+C's signal alone.
    again = DevServer(instance, port, sigint_ignored=True)
    try:
        ready = again.wait_until_ready()
        assert ready["management"] == (
            f"{base}/login with an existing account (the development admin: {DEVELOPMENT_ADMIN})"
        )
        assert "password" not in ready and password not in "\n".join(again.lines)
        assert DEVELOPMENT_ADMIN in log_in(base, email, password)
        children = again.descendants()
    finally:
        assert again.stop(signal.SIGINT) == 0, "\n".join(again.lines)
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert alive == [], alive
    # The worker and the clock were stopped by it, not reported as having failed.
    assert not any("stopped (exit code" in line for line in again.lines), again.lines


def test_the_development_admin_is_created_once_and_only_in_development(make_app):
    for environment in ("production", "testing"):
        with make_app(ENV=environment).app_context():
            assert create_development_admin() is None
            assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 0

    with make_app(ENV="development").app_context():
        password = create_development_admin()
        user = db.session.execute(db.select(User)).scalar_one()
        assert (user.email, user.role) == (DEVELOPMENT_ADMIN, Role.ADMIN)
        assert user.check_password(password) and password not in user.password_hash
        entry = db.session.execute(db.select(AuditEntry)).scalar_one()
        assert (entry.action, entry.object_id) == ("create", user.id)
        assert create_development_admin() is None  # once an account exists: never again
        other = make_app(ENV="development")
    with other.app_context():
        assert create_development_admin() is None
        assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1


def test_no_development_admin_where_other_accounts_exist(make_app):
    with make_app(ENV="development").app_context():
        make_user("organiser@example.org", Role.ORGANISER)
        assert create_development_admin() is None
        emails = db.session.execute(db.select(User.email)).scalars().all()
        assert emails == ["organiser@example.org"]
