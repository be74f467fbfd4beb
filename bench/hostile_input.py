"""Replays the outside review's hostile requests against the web process as the
Procfile starts it (gunicorn, gthread, 8 threads, one worker here so that its
memory can be read), in the production configuration, and prints what each cost:
the answer, the time to it, and how much the worker grew.

    DATABASE_URL=postgresql://… REDIS_URL=redis://…/N python bench/hostile_input.py

H1: the 26-level {% with %} preview; a 22-level version stored before the rules,
    behind anonymous GETs of the letters page.
L1: a signed events post nested 100,000 "[" deep.
L4: a signed post of 60,000 events (7.9 MB); a batch of 2,500 new events (kept in
    two posts); a batch of SendGrid's size (768 KB).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
from _common import ROOT, describe, services
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

PASSWORD = "bench-password-" + secrets.token_hex(8)
WITH_LEVEL = "{% with representative = {'name': representative.name ~ representative.name} %}"


def with_bomb(levels: int) -> str:
    return WITH_LEVEL * levels + "{{ representative.name }}" + "{% endwith %}" * levels + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """urllib with a cookie kept by hand (production cookies are Secure: a cookie
    jar would not send them back over loopback http)."""

    def __init__(self, base: str):
        self.base, self.cookies = base, {}

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(request, timeout=120)
            status, body, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, body, got = exc.code, exc.read(), exc.headers
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionResetError):
                raise
            # The server answered 413 and closed before the client finished sending.
            return "reset", b"{}"
        for value in got.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return status, body

    def form(self, path: str, fields: dict) -> tuple[int, bytes]:
        data = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.base}
        return self.request(path, data, headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf(html: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1).decode()


def prepare(env: dict) -> dict:
    """Schema, demo data, an organiser, and a stored 22-level version. Returns ids."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from campaign import create_app
    from campaign.core.extensions import db
    from campaign.letters import compose
    from campaign.models import Body, Campaign, Representative, TemplateVersion, User
    from campaign.seed import seed_demo

    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        seed_demo()
        user = User(email="organiser@example.org", role="organiser")
        user.set_password(PASSWORD)
        db.session.add(user)
        campaign = db.session.execute(db.select(Campaign)).scalars().first()
        meps = db.session.execute(
            db.select(Representative)
            .join(Body)
            .filter(Body.kind == "european_parliament")
            .order_by(Representative.id)
        ).scalars()
        mep = next(iter(meps))
        template = compose.choose_version(campaign, mep).template
        editable = template.id
        # A second letter stands for a version published before the sandbox's rules.
        stored = TemplateVersion(
            template_id=template.id,
            number=99,
            subject="About {{ representative.name }}",
            body=with_bomb(22),
            reviewed=False,
            source="stored before the rules",
        )
        db.session.add(stored)
        db.session.flush()
        template.published_version_id = stored.id
        db.session.commit()
        ids = {"template": editable, "mep": mep.id}
        db.engine.dispose()
    return ids


def worker_rss(master: psutil.Process) -> float:
    children = master.children(recursive=True)
    return sum(child.memory_info().rss for child in children) / 2**20


def sign(private, timestamp: str, payload: bytes) -> str:
    signature = private.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def post_events(browser: Browser, private, body: bytes) -> tuple[int, bytes, float]:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "X-Twilio-Email-Event-Webhook-Signature": sign(private, timestamp, body),
    }
    started = time.perf_counter()
    status, answer = browser.request("/webhooks/sendgrid/events", body, headers)
    return status, answer, time.perf_counter() - started


# The other fields of a delivered event, as SendGrid's documentation shows them.
REALISTIC = {
    "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
    "category": ["letter"],
    "response": "250 2.0.0 OK 1438190347 p17si11216396qhb.47 - gsmtp",
    "ip": "168.1.1.1",
    "tls": 1,
    "cert_err": 0,
}


def events(count: int, **extra) -> bytes:
    now = int(time.time())
    return json.dumps(
        [
            {
                "email": f"mp{i}@parliament.example.org",
                "timestamp": now,
                "event": "delivered",
                "sg_event_id": secrets.token_urlsafe(16),
                **extra,
            }
            for i in range(count)
        ]
    ).encode()


def line(label: str, status: int, seconds: float, grew: float | None = None) -> None:
    growth = f", worker grew {grew:6.1f} MB" if grew is not None else ""
    print(f"  {label:<58} {status!s:>5}  {seconds * 1000:8.0f} ms{growth}")


def main() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(
        private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()
    with services() as (database_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            "CAMPAIGN_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MAIL_BACKEND": "outbox",
            "OUTBOX_DIR": str(Path(tmp) / "outbox"),
            "MAIL_FROM": "letters@campaign.example.org",
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "SENDGRID_WEBHOOK_PUBLIC_KEY": public,
        }
        ids = prepare(env)
        procfile = (ROOT / "Procfile").read_text()
        web = next(x for x in procfile.splitlines() if x.startswith("web:"))
        command = web.removeprefix("web:").strip().replace("0.0.0.0", "127.0.0.1")
        server_env = {
            **os.environ,
            **env,
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "8",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }
        server = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=ROOT,
            env=server_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            browser = Browser(f"http://127.0.0.1:{port}")
            for _ in range(100):
                try:
                    if browser.request("/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            master = psutil.Process(server.pid)
            where = describe(env["DATABASE_URL"], env["REDIS_URL"])
            print(f"hostile input against gunicorn (1 worker, 8 threads): {where}")
            status, page = browser.request("/login")
            status, _ = browser.form(
                "/login",
                {"csrf_token": csrf(page), "email": "organiser@example.org", "password": PASSWORD},
            )
            assert status == 302, f"login answered {status}"
            editor = f"/organise/letters/{ids['template']}"
            _, page = browser.request(editor)
            token = csrf(page)
            # Warm the worker: first requests load code and fill caches.
            browser.request(f"/write/EU/letters?rep={ids['mep']}")
            browser.form(
                f"{editor}/preview.txt", {"csrf_token": token, "subject": "S", "body": "x"}
            )
            print("H1 (the review: 6.8 s, a worker from 110 MB to 1.7 GB; 42 MB per GET):")
            for levels in (26, 19):
                before = worker_rss(master)
                started = time.perf_counter()
                status, answer = browser.form(
                    f"{editor}/preview.txt",
                    {"csrf_token": token, "subject": "S", "body": with_bomb(levels)},
                )
                took = time.perf_counter() - started
                line(f"preview.txt, {levels} levels of {{% with %}}", status, took,
                     worker_rss(master) - before)  # fmt: skip
                print(f"      {answer.decode().splitlines()[0][:90]}")
            before = worker_rss(master)
            started = time.perf_counter()
            for _ in range(20):
                status, page = browser.request(f"/write/EU/letters?rep={ids['mep']}")
            took = (time.perf_counter() - started) / 20
            line("GET letters page, stored 22-level version (mean of 20)", status, took,
                 worker_rss(master) - before)  # fmt: skip
            print("Events webhook (the review: 60,000 events held a thread 45.6 s):")
            for label, body in (
                ("nested 100,000 [ deep", b"[" * 100_000 + b"]" * 100_000),
                ("60,000 events, 7.9 MB", events(60_000)),
                ("a batch of SendGrid's size, 2,000 events", events(2_000, **REALISTIC)),
                ("5,000 events, the most kept per post", events(5_000, **REALISTIC)),
            ):
                before = worker_rss(master)
                status, _, took = post_events(browser, private, body)
                line(f"{label} ({len(body) / 1e6:.2f} MB)", status, took,
                     worker_rss(master) - before)  # fmt: skip
            batch = events(5_500)
            for attempt in (1, 2):
                status, answer, took = post_events(browser, private, batch)
                kept = json.loads(answer).get("stored")
                line(f"5,500 new events, post {attempt}: kept {kept}", status, took)
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
