"""Admins manage accounts: list, create, change role, deactivate."""

from __future__ import annotations

from campaign.core.extensions import db
from campaign.models import AuditEntry, User

from .conftest import csrf_token
from .organisers_support import log_in_as
from .test_auth import PASSWORD, login, make_user


def user(email: str) -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def test_admin_creates_an_account(app, client):
    log_in_as(client, "admin")
    page = client.get("/admin/users/new").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "email": "New.Person@Example.org",
        "role": "organiser",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    short = client.post("/admin/users/new", data={**form, "password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    differ = client.post("/admin/users/new", data={**form, "confirm": PASSWORD + "x"})
    assert differ.status_code == 422 and "The two passwords differ." in differ.get_data(
        as_text=True
    )
    bad = client.post("/admin/users/new", data={**form, "email": "not-an-address"})
    assert bad.status_code == 422
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1
    assert client.post("/admin/users/new", data=form).status_code == 302
    created = user("new.person@example.org")
    assert created.role == "organiser" and created.check_password(PASSWORD)
    again = client.post("/admin/users/new", data=form)
    assert again.status_code == 422 and "exists already" in again.get_data(as_text=True)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "new.person@example.org" in listing
    entry = db.session.execute(db.select(AuditEntry).filter_by(object_type="user")).scalar_one()
    assert entry.actor == "admin@example.org" and PASSWORD not in str(entry.changes) + entry.summary


def test_role_change_and_deactivation_take_effect_at_once(app, client):
    log_in_as(client, "admin")
    staff = make_user("staff@example.org", "staff")
    other = app.test_client()

    def as_other(method: str, url: str):
        # The second browser needs its own app context: Flask-Login and Flask-WTF
        # keep the current user and the CSRF token in g.
        with app.app_context():
            if method == "login":
                return login(other, url)
            return other.get(url)

    assert as_other("login", "staff@example.org").status_code == 302
    assert as_other("get", "/organise/").status_code == 403

    url = f"/admin/users/{staff.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token, "role": "organiser"}).status_code == 302
    # A new role ends the account's sessions (M3); the next login has the new role.
    assert as_other("get", "/organise/").status_code == 302
    assert as_other("login", "staff@example.org").status_code == 302
    assert as_other("get", "/organise/").status_code == 200

    assert client.post(f"{url}/deactivate", data={"csrf_token": token}).status_code == 302
    # The open session ends with its next request; a new login is refused.
    assert as_other("get", "/organise/").status_code == 302
    refused = as_other("login", "staff@example.org")
    assert "Wrong email address or password." in refused.get_data(as_text=True)
    assert client.post(f"{url}/reactivate", data={"csrf_token": token}).status_code == 302
    assert as_other("login", "staff@example.org").status_code == 302
    actions = (
        db.session.execute(db.select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    )
    assert actions == ["role", "deactivate", "reactivate"]


def test_the_last_admin_cannot_lock_everyone_out(app, client):
    admin = log_in_as(client, "admin")
    url = f"/admin/users/{admin.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    demote = client.post(url, data={"csrf_token": token, "role": "staff"})
    assert demote.status_code == 422 and "last active admin" in demote.get_data(as_text=True)
    own = client.post(f"{url}/deactivate", data={"csrf_token": token})
    assert "You cannot deactivate your own account." in client.get(
        own.headers["Location"]
    ).get_data(as_text=True)
    db.session.expire_all()
    assert admin.role == "admin" and admin.active
    assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == 0
