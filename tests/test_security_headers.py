"""Every page, for every kind of visitor, carries the strict Content-Security-Policy
and the other security headers, and needs nothing the policy forbids: no inline
script, no style attributes, no event-handler attributes, nothing from elsewhere.
Plus cookies, debug mode, production secrets, login throttling and the logs."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from flask import g

from campaign import create_app
from campaign.core import tokens
from campaign.core.config import ConfigError, load_config
from campaign.core.security import (
    CSP,
    LOG_PATH_KEY,
    RQ_DASHBOARD_CSP,
    PrivateRequestHandler,
    loggable_path,
    policy_for,
)

from . import flow
from .htmlforms import inline_problems
from .test_auth import ROLES, login, make_user

ROOT = Path(__file__).resolve().parents[1]
STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(policy: str) -> dict[str, str]:
    parts = [p.strip() for p in policy.split(";") if p.strip()]
    return {p.split()[0]: " ".join(p.split()[1:]) for p in parts}


def test_the_policy_is_the_strict_one():
    assert directives(CSP) == STRICT
    assert "unsafe" not in CSP and "http" not in CSP


def test_only_the_rq_dashboard_gets_a_looser_policy():
    assert policy_for("/staff/rq") == RQ_DASHBOARD_CSP
    assert policy_for("/staff/rq/queues") == RQ_DASHBOARD_CSP
    for path in ("/", "/staff/", "/staff/rqx", "/staff/held", "/write/DE/letters", "/login"):
        assert policy_for(path) == CSP
    loose = directives(RQ_DASHBOARD_CSP)
    # Looser for script and style only: still nothing from another origin, no framing.
    assert {k: v for k, v in loose.items() if k not in ("script-src", "style-src")} == {
        k: v for k, v in STRICT.items() if k not in ("script-src", "style-src")
    }
    assert "http" not in RQ_DASHBOARD_CSP and "*" not in RQ_DASHBOARD_CSP


def _tokens_for_a_supporter(client) -> dict[str, str]:
    reps = flow.representatives_of("LT")
    response = flow.submit(client, "LT", [reps[0].id], flow.Details(email="walker@example.org"))
    assert response.status_code == 302
    from campaign.core.extensions import db
    from campaign.models import Submission

    submission = db.session.execute(db.select(Submission)).scalars().first()
    return {
        "confirm": tokens.make_token(tokens.CONFIRM, submission.id),
        "status": tokens.make_token(tokens.STATUS, submission.id),
        "data": tokens.make_token(tokens.SUPPORTER_DATA, submission.supporter_id),
    }


def _url(rule, known: dict[str, str]) -> str:
    url = rule.rule
    for arg in rule.arguments:
        if arg not in rule._converters:  # a default, not part of the path
            continue
        converter = rule._converters[arg].__class__.__name__
        if "Integer" in converter:
            # rq-dashboard numbers its Redis instances from 0, and has only one.
            value = "0" if rule.endpoint.startswith("rq_dashboard") else "1"
        elif arg == "country":
            value = "LT"
        elif arg == "token":
            endpoint = rule.endpoint
            value = next((v for k, v in known.items() if k in endpoint), "x")
        else:
            value = "x"
        url = re.sub(rf"<(?:[^:>]+:)?{arg}>", value, url)
    return url


def _check(response, where: str, third_party: bool = False) -> None:
    # rq-dashboard answers an unknown job id with a 500 of its own; its policy still holds.
    assert third_party or response.status_code < 500, where
    policy = response.headers.get("Content-Security-Policy")
    assert policy == policy_for(response.request.path), where
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Referrer-Policy"] == "no-referrer", where
    assert "camera=()" in headers["Permissions-Policy"], where
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", where
    # rq-dashboard's own pages are the one exception, under their own looser policy.
    if response.mimetype == "text/html" and policy == CSP:
        html = response.get_data(as_text=True)
        assert inline_problems(html) == [], where


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_page_for_every_visitor_obeys_the_policy(seeded, role):
    client = seeded.test_client()
    known = _tokens_for_a_supporter(client)
    if role:
        make_user(f"{role}@example.org", role)
        assert login(client, f"{role}@example.org").status_code == 302
    seen = 0
    for rule in seeded.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = _url(rule, known)
        response = client.get(url)
        where = f"GET {url} as {role or 'anonymous'}: {response.status_code}"
        _check(response, where, third_party=rule.endpoint.startswith("rq_dashboard"))
        response.close()
        seen += 1
    assert seen > 10
    # Error pages too.
    _check(client.get("/no-such-page"), "404 page")


def test_development_pages_obey_the_policy(make_app):
    app = make_app(ENV="development")
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        client = app.test_client()
        flow.submit(client, "IE", [flow.representatives_of("IE")[0].id], flow.Details())
        from .delivery_support import drain_jobs

        drain_jobs()
        listing = client.get("/dev/outbox")
        _check(listing, "/dev/outbox")
        names = re.findall(r'href="/dev/outbox/([^"]+)"', listing.get_data(as_text=True))
        assert names
        _check(client.get(f"/dev/outbox/{names[0]}"), "/dev/outbox/<name>")


def test_pages_behind_signed_links_are_never_cached(seeded, client):
    known = _tokens_for_a_supporter(client)
    for path in (
        f"/confirm/{known['confirm']}",
        f"/status/{known['status']}",
        f"/your-data/{known['data']}",
    ):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_no_third_party_assets_in_templates_or_styles():
    for path in list((ROOT / "templates").rglob("*.html")) + list(
        (ROOT / "campaign" / "static").rglob("*")
    ):
        if not path.is_file() or path.suffix not in (".html", ".css", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "@import" not in text, path
        for match in re.finditer(r"url\(\s*['\"]?([^)'\"]+)", text):
            assert not match.group(1).startswith(("http:", "https:", "//")), (path, match.group(1))
        for match in re.finditer(
            r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", text
        ):
            assert not match.group(1).startswith(("http:", "https:", "//")), (path, match.group(1))
        if path.suffix == ".js":
            assert not re.search(r"fetch\(\s*['\"]https?:", text), path


# -- production only ------------------------------------------------------------------


def test_hsts_in_production_only(make_app):
    testing = make_app()
    assert "Strict-Transport-Security" not in testing.test_client().get("/healthz").headers
    production = make_app(ENV="production")
    hsts = production.test_client().get("/healthz").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 31536000


def test_session_cookie_is_secure_httponly_samesite_in_production(make_app):
    app = make_app(ENV="production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.app_context():
        make_user("staff@example.org", "staff")
        client = app.test_client()
        page = client.get("/login", base_url="https://localhost")
        from .conftest import csrf_token

        token = csrf_token(page.get_data(as_text=True))
        response = client.post(
            "/login",
            base_url="https://localhost",
            data={
                "csrf_token": token,
                "email": "staff@example.org",
                "password": "correct horse battery staple",
            },
        )
        assert response.status_code == 302
        cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
        assert cookies
        for cookie in cookies:
            flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
            assert {"secure", "httponly", "samesite"} <= flags, cookie
            assert "SameSite=Lax" in cookie


def _production_env(monkeypatch):
    for name in ("CAMPAIGN_ENV", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/campaign")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MAIL_BACKEND", "sendgrid")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.x")
    monkeypatch.setenv("MAIL_FROM", "letters@example.org")
    monkeypatch.setenv("INBOUND_SECRET", "i" * 32)
    monkeypatch.setenv("SENDGRID_WEBHOOK_PUBLIC_KEY", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")


@pytest.mark.parametrize("missing", ["INBOUND_SECRET", "SENDGRID_WEBHOOK_PUBLIC_KEY"])
def test_production_with_sendgrid_needs_the_webhook_secrets(monkeypatch, tmp_path, missing):
    _production_env(monkeypatch)
    assert load_config(str(tmp_path))["ENV"] == "production"
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        load_config(str(tmp_path))
    # Development and testing do without them.
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    load_config(str(tmp_path))


def test_production_refuses_a_short_secret_key_and_debug(monkeypatch, tmp_path):
    _production_env(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    with pytest.raises(ConfigError, match="DEBUG"):
        load_config(str(tmp_path), {"DEBUG": True})


def test_flask_debug_never_turns_debug_on_in_production(monkeypatch, _schema, redis_url, tmp_path):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "p" * 40,
            "SQLALCHEMY_DATABASE_URI": _schema,
            "REDIS_URL": redis_url,
            "MAIL_BACKEND": "outbox",
            "MAIL_FROM": "letters@example.org",
            "OUTBOX_DIR": str(tmp_path),
        }
    )
    assert app.debug is False and app.config["DEBUG"] is False
    with app.app_context():
        from campaign.core.extensions import db

        db.engine.dispose()


# -- login throttling -----------------------------------------------------------------


def _login_attempt(client, email: str):
    page = client.get("/login")
    from .conftest import csrf_token

    return client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": email,
            "password": "wrong",
        },
    )


def test_login_is_slowed_per_client_address_and_account_together(app, client):
    # Three wrong passwords are free; then a delay (tests/test_login_throttle.py).
    for _ in range(3):
        assert _login_attempt(client, "target@example.org").status_code == 200
    refused = _login_attempt(client, "Target@Example.org ")
    assert refused.status_code == 429
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    assert "Retry-After" in refused.headers
    # Another account from the same client still gets through ...
    assert _login_attempt(client, "other@example.org").status_code == 200
    # ... and so does the same account from another client.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    g.pop("csrf_token", None)  # the test's app context outlives requests
    assert _login_attempt(elsewhere, "target@example.org").status_code == 200


def test_login_is_throttled_per_client_address(make_app):
    app = make_app(RATE_LIMITS={"login": ("3/minute", "100/minute")})
    # No app context around the requests: each request has its own (and its own CSRF token).
    client = app.test_client()
    for i in range(3):
        assert _login_attempt(client, f"user{i}@example.org").status_code == 200
    assert _login_attempt(client, "fresh@example.org").status_code == 429
    # A visitor from elsewhere is not affected.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert _login_attempt(other, "fresh@example.org").status_code == 200


# -- logs -----------------------------------------------------------------------------


class _FakeRequest(PrivateRequestHandler):
    def __init__(self, path: str):  # no socket: only what the log line reads
        self.path = path
        self.command = "GET"
        self.request_version = "HTTP/1.1"
        self.client_address = ("203.0.113.9", 51234)


TOKEN = "MTIz.Z0x9aQ.q8Vb3kq9Xr2mLwzT1cN4uYpE7sA"  # the shape of a signed link's token


def test_development_request_log_has_no_address_no_query_and_no_token(monkeypatch):
    lines = []
    monkeypatch.setattr(
        "campaign.core.security._log", lambda type_, message, *args: lines.append(message % args)
    )
    handler = _FakeRequest(f"/status/{TOKEN}?q=anna&lang=be")
    handler.environ = {"PATH_INFO": f"/status/{TOKEN}", LOG_PATH_KEY: "/status/<token>"}
    handler.log_request(200, 1234)
    # A request the app never saw: any segment long enough to be a token goes.
    unseen = _FakeRequest(f"/confirm/{TOKEN}")
    unseen.log_request(400, 0)
    handler.log_error("something %s", "odd")
    text = "\n".join(lines)
    assert "GET /status/<token>" in text and "200" in text and "odd" in text
    assert "GET /confirm/<redacted>" in text
    assert TOKEN not in text
    assert "203.0.113.9" not in text and "q=anna" not in text and "lang=be" not in text


def test_the_app_marks_each_path_for_the_logs_without_its_secret(app):
    seen = {}
    serve = app.wsgi_app

    def keep_environ(environ, start_response):
        seen["environ"] = environ
        return serve(environ, start_response)

    app.wsgi_app = keep_environ
    client = app.test_client()
    for path, logged in [
        (f"/confirm/{TOKEN}", "/confirm/<token>"),
        (f"/status/{TOKEN}.json", "/status/<token>.json"),
        (f"/your-data/{TOKEN}", "/your-data/<token>"),
        ("/check-your-email", "/check-your-email"),
    ]:
        client.get(path)
        assert seen["environ"][LOG_PATH_KEY] == logged, path


@pytest.mark.parametrize(
    "path, view_args, logged",
    [
        ("/your-data/d/download", {"token": "d"}, "/your-data/<token>/download"),
        (f"/status/{TOKEN}.json", {"token": TOKEN}, "/status/<token>.json"),
        (
            "/webhooks/sendgrid/inbound/a b",
            {"secret": "a b"},
            "/webhooks/sendgrid/inbound/<secret>",
        ),
        ("/write/LT/letters", {"country": "LT"}, "/write/LT/letters"),
        (f"/confirm/{TOKEN[:-3]}", None, "/confirm/<redacted>"),
    ],
)
def test_loggable_path(path, view_args, logged):
    assert loggable_path(path, view_args) == logged


def test_gunicorn_access_log_has_no_token_and_no_webhook_secret(_schema, redis_url, tmp_path):
    """The Procfile's web process itself, on loopback: every path the access log
    prints has the secret parts of links replaced."""
    import socket
    import subprocess
    import time
    import urllib.error
    import urllib.request

    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret = "inbound-secret-" + "k" * 20
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "CAMPAIGN_ENV": "development",
        "DATABASE_URL": _schema,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "outbox",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "MAIL_FROM": "letters@campaign.example.org",
        "INBOUND_SECRET": secret,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    command = web.removeprefix("web:").strip().replace("0.0.0.0", "127.0.0.1")
    log = tmp_path / "web.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            ["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"

    def visit(path: str, data: bytes | None = None) -> None:
        try:
            urllib.request.urlopen(base + path, data=data, timeout=10).read()
        except urllib.error.HTTPError:
            pass  # a refused link or an empty webhook post: logged all the same

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        visit(f"/confirm/{TOKEN}")
        visit(f"/status/{TOKEN}.json?lang=be")
        visit(f"/webhooks/sendgrid/inbound/{secret}", data=b"")
        visit(f"/no-such-page/{TOKEN}")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            raw.recv(1024)  # gunicorn answers 400 and logs the malformed request
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    for line in [
        "GET /confirm/<token> 404",
        "GET /status/<token>.json 404",
        "POST /webhooks/sendgrid/inbound/<secret>",
        "GET /no-such-page/<redacted> 404",
        "GET /healthz 200",
        "Invalid request from ip=[ip]",
    ]:
        assert line in text, text
    assert TOKEN not in text and secret not in text and "lang=be" not in text
    assert "ip=127.0.0.1" not in text


def test_gunicorn_error_log_names_no_client_query_or_token(tmp_path):
    from gunicorn.config import Config

    from campaign.core.gunicorn_logging import PrivateAccessLogger

    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = PrivateAccessLogger(config)
    logger.warning("Invalid request from ip=203.0.113.9: Invalid HTTP Version")
    logger.warning("Invalid request from ip=%s: %s", "2001:db8::7", "Invalid HTTP Version")
    try:
        raise ValueError("confirmation for someone@example.org")
    except ValueError:
        logger.exception("Error handling request %s", f"/confirm/{TOKEN}?lang=be")
    for handler in logger.error_log.handlers:
        handler.flush()
    text = (tmp_path / "error.log").read_text()
    assert text.count("Invalid request from ip=[ip]: Invalid HTTP Version") == 2
    assert "Error handling request /confirm/<redacted>" in text
    assert "ValueError: confirmation for [address]" in text
    for secret in ("203.0.113.9", "2001:db8::7", TOKEN, "lang=be", "someone@"):
        assert secret not in text


def test_the_development_server_uses_the_private_log():
    source = (ROOT / "campaign" / "devserver.py").read_text()
    assert "request_handler=PrivateRequestHandler" in source


def test_gunicorn_access_log_has_no_address_and_no_query():
    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    match = re.search(r"--access-logformat\s+'([^']*)'", web)
    assert match, "the web process must set its own access log format"
    atoms = set(re.findall(r"%\((\w+)\)s", match.group(1)))
    # h: address, r: request line, q: query string, f: referer, a: user agent, {…}i: headers
    assert atoms <= {"m", "U", "s", "L", "b", "B", "D", "M", "T", "t", "H"}, atoms
    assert "{" not in match.group(1)


def test_a_form_posted_from_another_site_is_refused(seeded, client):
    page = client.get("/login")
    from .conftest import csrf_token

    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "email": "a@example.org",
        "password": "x",
    }
    refused = client.post("/login", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert (
        client.post("/login", data=data, headers={"Sec-Fetch-Site": "same-origin"}).status_code
        == 200
    )
