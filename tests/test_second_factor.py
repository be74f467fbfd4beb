"""Item 8: a second factor (TOTP with recovery codes) that admins can require for
admins and organisers; a password alone then opens nothing."""

from __future__ import annotations

import re
import time

import pyotp
from flask import g

from campaign.core.extensions import db
from campaign.models import AuditEntry, User

from .conftest import csrf_token
from .test_auth import PASSWORD, login, make_user


def _fresh(app):
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    return app.test_client()


def _post_code(client, url: str, code: str):
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "code": code})


def _set_up(app, email: str) -> tuple[str, list[str]]:
    client = _fresh(app)
    assert login(client, email).status_code == 302
    page = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r"<dt>Key</dt><dd><code>([A-Z2-7]+)</code>", page).group(1)
    assert "otpauth://totp/" in page and 'src="data:image/svg+xml' in page
    wrong = _post_code(client, "/account/second-factor", "000000")
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    done = _post_code(client, "/account/second-factor", pyotp.TOTP(secret).now())
    codes = re.findall(
        r"<li><code>([0-9a-f]{8}-[0-9a-f]{8})</code></li>", done.get_data(as_text=True)
    )
    assert len(codes) == 10
    return secret, codes


def _password_step(app, email: str):
    client = _fresh(app)
    response = login(client, email)
    assert response.status_code == 302 and response.headers["Location"] == "/login/second-factor"
    g.pop("_login_user", None)
    assert client.get("/manage").status_code == 302  # the password alone opens nothing
    return client


def test_an_account_with_a_second_factor_needs_its_code(app):
    make_user("admin@example.org", "admin")
    secret, codes = _set_up(app, "admin@example.org")
    stored = db.session.execute(db.select(User.totp_secret)).scalar_one()
    assert secret not in stored  # kept encrypted

    client = _password_step(app, "admin@example.org")
    assert _post_code(client, "/login/second-factor", "123456").status_code == 200
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert _post_code(client, "/login/second-factor", code).status_code == 302
    g.pop("_login_user", None)
    assert client.get("/manage").status_code == 200

    # The same code again, from elsewhere: refused (replay).
    other = _password_step(app, "admin@example.org")
    assert _post_code(other, "/login/second-factor", code).status_code == 200
    # A recovery code works, once.
    assert _post_code(other, "/login/second-factor", codes[0]).status_code == 302
    again = _password_step(app, "admin@example.org")
    assert _post_code(again, "/login/second-factor", codes[0]).status_code == 200
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert "second-factor-on" in actions and "recovery-code" in actions


def test_admins_require_it_for_organisers(app):
    make_user("admin@example.org", "admin")
    organiser = make_user("org@example.org", "organiser")
    admin = _fresh(app)
    assert login(admin, "admin@example.org").status_code == 302
    token = csrf_token(admin.get("/admin/security").get_data(as_text=True))
    saved = admin.post(
        "/admin/security", data={"csrf_token": token, "required": ["admin", "organiser"]}
    )
    assert saved.status_code == 302
    g.pop("_login_user", None)
    # The admin's own session must set one up now too.
    assert admin.get("/admin/users").headers["Location"] == "/account/second-factor"

    client = _fresh(app)
    assert login(client, "org@example.org").status_code == 302
    g.pop("_login_user", None)
    refused = client.get("/organise/")
    assert refused.status_code == 302 and refused.headers["Location"] == "/account/second-factor"
    secret, _codes = _set_up(app, "org@example.org")
    client = _password_step(app, "org@example.org")
    _post_code(client, "/login/second-factor", pyotp.TOTP(secret).at(time.time() + 30))
    g.pop("_login_user", None)
    assert client.get("/organise/").status_code == 200

    entry = db.session.execute(
        db.select(AuditEntry).filter_by(action="second-factor-policy")
    ).scalar_one()
    assert entry.summary == "second factor required for: admin, organiser"
    db.session.refresh(organiser)
    assert organiser.totp_enabled_at is not None


def test_a_login_link_still_asks_for_the_second_factor(app, drain):
    from pathlib import Path

    from . import flow

    make_user("admin@example.org", "admin")
    secret, _codes = _set_up(app, "admin@example.org")
    client = _fresh(app)
    token = csrf_token(client.get("/login/link").get_data(as_text=True))
    client.post("/login/link", data={"csrf_token": token, "email": "admin@example.org"})
    drain()
    text = flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))[-1].get_body().get_content()
    path = re.search(r"https?://campaign\.example\.org(/login/link/\S+)", text).group(1)
    g.pop("csrf_token", None)
    page = client.get(path).get_data(as_text=True)
    used = client.post(path, data={"csrf_token": csrf_token(page)})
    assert used.headers["Location"] == "/login/second-factor"
    g.pop("_login_user", None)
    assert client.get("/manage").status_code == 302
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert _post_code(client, "/login/second-factor", code).status_code == 302


def test_an_admin_removes_a_lost_second_factor(app):
    make_user("admin@example.org", "admin")
    staff = make_user("staff@example.org", "staff")
    _set_up(app, "staff@example.org")
    admin = _fresh(app)
    assert login(admin, "admin@example.org").status_code == 302
    url = f"/admin/users/{staff.id}"
    token = csrf_token(admin.get(url).get_data(as_text=True))
    assert admin.post(f"{url}/second-factor/reset", data={"csrf_token": token}).status_code == 302
    client = _fresh(app)
    assert login(client, "staff@example.org", PASSWORD).headers["Location"] == "/manage"
