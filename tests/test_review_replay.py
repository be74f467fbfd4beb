"""The outside review's requests and payloads for H2, M2, M3, M4 and L2, replayed
against the processes as the Procfile runs them in production (gunicorn serving
wsgi:app with CAMPAIGN_ENV=production, `python worker.py`), PostgreSQL or SQLite,
Redis, and the loopback SendGrid server. Each gets a clear refusal or nothing."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer

from campaign.core.extensions import db
from campaign.devtools.sendgrid_server import SendGridLoopback
from campaign.models import Letter, LetterEvent, Submission
from campaign.models.base import utcnow

from . import tracking_helpers as th
from .conftest import ROOT

SECRET_KEY = "review-replay-secret-" + "r" * 20
PASSWORD = "correct horse battery staple"
pytestmark = pytest.mark.slow


class Browser:
    """A client that keeps its own session cookie (the production cookie is Secure:
    a browser would not send it over loopback HTTP) and follows no redirect."""

    def __init__(self, base: str, address: str = "192.0.2.10"):
        parts = urlsplit(base)
        self.host, self.port, self.address = parts.hostname, parts.port, address
        self.cookie: str | None = None

    def open(self, method: str, path: str, form: dict | None = None):
        headers = {"X-Forwarded-For": self.address}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=20)
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1] or None
        connection.close()
        return response.status, dict(response.getheaders()), page

    def get(self, path: str):
        return self.open("GET", path)

    def post(self, path: str, form: dict | None = None):
        return self.open("POST", path, form)

    def token(self, path: str) -> str:
        status, _headers, page = self.get(path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def login(self, email: str, password: str = PASSWORD):
        form = {"csrf_token": self.token("/login"), "email": email, "password": password}
        return self.post("/login", form)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production(_schema, redis_url, tmp_path):
    sendgrid = SendGridLoopback(api_key="SG.review").start()
    _private, public_key = th.keypair()
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "CAMPAIGN_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": _schema,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "sendgrid",
        "SENDGRID_API_KEY": "SG.review",
        "SENDGRID_API_HOST": sendgrid.host,
        "SENDGRID_WEBHOOK_PUBLIC_KEY": public_key,
        "INBOUND_SECRET": "inbound-secret-" + "s" * 20,
        "MAIL_FROM": "letters@campaign.example.org",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRUSTED_PROXY_COUNT": "1",  # the review's requests come from several addresses
        "THROTTLE_ENABLED": "0",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }

    def flask(*args, stdin: str = ""):
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            env=env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    flask("seed", "demo")
    for role in ("admin", "staff"):
        flask("users", "create", f"{role}@example.org", "--role", role, stdin=PASSWORD + "\n")
    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    command = web.removeprefix("web:").strip().replace("0.0.0.0", "127.0.0.1")
    processes = {}

    def start(name: str, argv: list[str]):
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        processes[name] = (
            subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            ),
            log,
        )

    start("web", ["bash", "-c", f"exec {command}"])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if Browser(base).get("/healthz")[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
        time.sleep(0.3)

    def start_worker():
        start("worker", [sys.executable, str(ROOT / "worker.py"), "--log-level", "WARNING"])

    try:
        yield base, sendgrid, start_worker
    finally:
        for process, _log in processes.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process, log in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        sendgrid.stop()


def _write_letters(base: str, email: str) -> None:
    supporter = Browser(base, "198.51.100.20")
    status, _h, page = supporter.get("/write/LT")
    rep_ids = re.findall(r'name="rep" value="(\d+)"', page)[:2]
    assert status == 200 and rep_ids, page[:500]
    query = "&".join(f"rep={i}" for i in rep_ids)
    token = supporter.token(f"/write/LT/letters?{query}")
    form = {
        "csrf_token": token,
        "representatives": rep_ids,
        "name": "Maryja Kowalska",
        "email": email,
        "city": "Vilnius",
        "personal_paragraph": "",
        "consent": "y",
        "send": "1",
    }
    status, headers, page = supporter.post("/write/LT/letters", form)
    assert status == 302, page[:2000]


def test_the_reviews_requests_get_a_refusal_or_nothing(app, production):
    base, sendgrid, start_worker = production

    # M3: a saved staff cookie, replayed after logout.
    staff = Browser(base, "192.0.2.30")
    assert staff.login("staff@example.org")[0] == 302
    assert staff.get("/staff/")[0] == 200
    saved = staff.cookie
    assert staff.post("/logout", {"csrf_token": staff.token("/manage")})[0] == 302
    replay = Browser(base, "192.0.2.30")  # the same machine, as the review replayed it
    replay.cookie = saved
    for path in ("/staff/", "/staff/replies"):
        status, headers, _page = replay.get(path)
        assert status == 302 and "/login" in headers["Location"], path

    # M2: staff empties the notifications queue, no CSRF token, no Sec-Fetch-Site.
    _write_letters(base, "maryja@example.org")
    staff = Browser(base, "192.0.2.30")
    assert staff.login("staff@example.org")[0] == 302
    status, _h, page = staff.post("/staff/rq/queue/notifications/queued/empty")
    assert status == 403 and "read-only" in page
    status, _h, page = staff.post("/staff/rq/queue/no-such-queue/compact")
    assert status == 403 and "Traceback" not in page
    start_worker()
    (confirmation,) = sendgrid.wait_for(1, timeout=60)
    assert confirmation.to == ["maryja@example.org"]
    link = re.search(r"https?://\S+(/confirm/\S+)", confirmation.text).group(1)

    # L2: the link names no id anyone can read.
    token = link.rsplit("/", 1)[1]
    assert "." not in token and not token.startswith("MQ")

    # H2: the status page reached from the confirmation carries no data link ...
    supporter = Browser(base, "198.51.100.20")
    status, headers, _page = supporter.post(link, {"csrf_token": supporter.token(link)})
    assert status == 302
    status_path = urlsplit(headers["Location"]).path
    status, _h, page = supporter.get(status_path)
    assert status == 200 and "/your-data/" not in page
    # ... and a status link signed two years ago, for letters finished long ago, expired.
    sendgrid.wait_for(3, timeout=60)  # the confirmation and the two letters
    submission_id = db.session.execute(db.select(db.func.max(Submission.id))).scalar_one()
    # The worker records each outcome just after its 202 (within 0.2 s): wait until
    # both letters are sent in the database before dating their history back.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.rollback()
        states = db.session.execute(
            db.select(Letter.state).filter_by(submission_id=submission_id)
        ).scalars()
        if all(state == "sent" for state in states):
            break
        time.sleep(0.1)
    db.session.execute(
        db.update(LetterEvent)
        .where(
            LetterEvent.letter_id.in_(db.select(Letter.id).filter_by(submission_id=submission_id))
        )
        .values(created_at=utcnow() - timedelta(days=700))
    )
    db.session.commit()
    then = time.time() - 2 * 365 * 86400
    real = itsdangerous.timed.time.time
    itsdangerous.timed.time.time = lambda: then
    try:
        old = URLSafeTimedSerializer(SECRET_KEY, salt="submission-status").dumps(submission_id)
    finally:
        itsdangerous.timed.time.time = real
    for path in (f"/status/{old}", f"/status/{old}.json"):
        status, _h, page = Browser(base, "203.0.113.5").get(path)
        assert status == 410 and "/your-data/" not in page and "Maryja" not in page, path

    # M4: five wrong passwords a minute, and more, for the admin from elsewhere ...
    attacker = Browser(base, "203.0.113.66")
    answers = [attacker.login("admin@example.org", "wrong password!")[0] for _ in range(8)]
    assert 429 in answers
    # ... and the admin, from their own address, logs in at once.
    owner = Browser(base, "198.51.100.7")
    status, headers, _page = owner.login("admin@example.org")
    assert status == 302 and headers["Location"] == "/manage"
