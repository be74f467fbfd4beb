"""M4: nobody can lock an account's owner out. The review sent five wrong
passwords a minute for an email from another address, and the real user then got
429 for up to an hour. Now limits count per client address and per address and
account together, wrong passwords earn a growing delay (never a lock), and a
mailed one-time login link goes round it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import g

from campaign.accounts import login_throttle
from campaign.core.extensions import db
from campaign.models import LoginLink

from . import flow
from .conftest import csrf_token
from .test_auth import PASSWORD, make_user

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def _login(client, address: str, email: str, password: str):
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/login")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    return client.post("/login", data={**data, "email": email, "password": password})


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(login_throttle, "_now", lambda: now[0])
    return now


def test_wrong_passwords_from_elsewhere_never_lock_the_owner_out(app, clock):
    make_user("admin@example.org", "admin")
    attacker = app.test_client()
    answers = [
        _login(attacker, ATTACKER, "admin@example.org", "wrong password!").status_code
        for _ in range(8)
    ]
    assert 429 in answers  # the attacker is slowed down ...
    owner = app.test_client()
    # ... the owner, from their own address, logs in at once.
    assert _login(owner, OWNER, "admin@example.org", PASSWORD).status_code == 302


def test_the_delay_grows_and_a_right_password_clears_it(make_app, clock):
    # Only the delay counts here, not the per-minute limits.
    app = make_app(RATE_LIMITS={"login": ("1000/minute", "1000/minute")})
    with app.app_context():
        make_user("admin@example.org", "admin")
        client = app.test_client()
        for _ in range(login_throttle.FREE_FAILURES):
            assert (
                _login(client, ATTACKER, "admin@example.org", "wrong password!").status_code == 200
            )
        waits = []
        for _ in range(4):
            refused = _login(client, ATTACKER, "admin@example.org", PASSWORD)
            assert refused.status_code == 429
            assert "login link" in refused.get_data(as_text=True)
            wait = int(refused.headers["Retry-After"])
            waits.append(wait)
            clock[0] += wait
            assert _login(client, ATTACKER, "admin@example.org", "wrong again!!").status_code == 200
        assert waits == [2, 4, 8, 16]
        clock[0] += 32
        assert _login(client, ATTACKER, "admin@example.org", PASSWORD).status_code == 302
        assert login_throttle.wait_seconds(ATTACKER, "admin@example.org") == 0


def test_redis_keys_hold_neither_the_address_nor_the_account(app, clock):
    make_user("admin@example.org", "admin")
    _login(app.test_client(), ATTACKER, "admin@example.org", "wrong password!")
    from campaign.core.queues import redis_connection

    keys = b" ".join(redis_connection().keys("*"))
    assert b"203.0.113" not in keys and b"admin" not in keys and b"example.org" not in keys


def _link_from(app) -> str:
    mails = flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))
    text = mails[-1].get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://campaign\.example\.org(/login/link/\S+)", text).group(1)


def test_a_mailed_login_link_goes_round_the_delay_once(app, clock, drain):
    make_user("admin@example.org", "admin")
    client = app.test_client()
    for _ in range(6):
        _login(client, ATTACKER, "admin@example.org", "wrong password!")
    assert _login(client, ATTACKER, "admin@example.org", PASSWORD).status_code == 429

    def ask(email):
        g.pop("csrf_token", None)
        token = csrf_token(client.get("/login/link").get_data(as_text=True))
        response = client.post("/login/link", data={"csrf_token": token, "email": email})
        assert response.status_code == 302
        return client.get(response.headers["Location"]).get_data(as_text=True)

    assert ask("admin@example.org") == ask("nobody@example.org")
    drain()
    mails = flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))
    assert [m["To"].addresses[0].addr_spec for m in mails] == ["admin@example.org"]
    path = _link_from(app)
    token = path.rsplit("/", 1)[1]
    assert token not in str(db.session.execute(db.select(LoginLink.token_hash)).all())
    page = client.get(path)  # opening it changes nothing (mail scanners open links)
    assert page.status_code == 200
    assert client.get("/manage").status_code == 302
    g.pop("_login_user", None)
    done = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 302
    g.pop("_login_user", None)
    assert client.get("/manage").status_code == 200
    # Single use.
    assert app.test_client().get(path).status_code == 410


def test_a_login_link_expires(app, drain):
    make_user("admin@example.org", "admin")
    client = app.test_client()
    token = csrf_token(client.get("/login/link").get_data(as_text=True))
    client.post("/login/link", data={"csrf_token": token, "email": "admin@example.org"})
    drain()
    path = _link_from(app)
    db.session.execute(db.update(LoginLink).values(expires_at=LoginLink.created_at))
    db.session.commit()
    assert client.get(path).status_code == 410
    g.pop("csrf_token", None)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token}).status_code == 410
    assert client.get("/login/link/forged").status_code == 410
