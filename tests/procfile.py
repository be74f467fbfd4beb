"""The Procfile's processes, started for real by tests: the same command lines,
on loopback, with the test database, Redis and the loopback SendGrid server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from .conftest import ROOT, csrf_token
from .delivery_support import API_KEY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(database_url: str, redis_url: str, sendgrid_host: str, **extra) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "CAMPAIGN_ENV": "development",
        "SECRET_KEY": "process-test-" + "s" * 32,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "sendgrid",
        "MAIL_FROM": "letters@campaign.example.org",
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": sendgrid_host,
        "SENDGRID_TIMEOUT": "2",
        "THROTTLE_ENABLED": "false",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start(name: str, env: dict, log: Path) -> subprocess.Popen:
    """Start the Procfile's process ``name`` (web, worker, clock) as it is written,
    bound to loopback; its output goes to ``log``."""
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith(f"{name}:")
    )
    command = line.split(":", 1)[1].strip().replace("0.0.0.0", "127.0.0.1")
    with open(log, "w") as out:
        return subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Browser:
    """A person at the web process: cookies kept, forms posted with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def wait_until_up(self, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.get("/healthz")
                return
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict) -> str:
        from urllib.parse import urlencode

        data = urlencode(fields).encode()
        with self.opener.open(self.base + path, data=data, timeout=20) as response:
            return response.read().decode()

    def login(self, email: str, password: str) -> None:
        token = csrf_token(self.get("/login"))
        self.post("/login", {"csrf_token": token, "email": email, "password": password})
