"""M3: logging out ends the session everywhere, and so do deactivation, a new
password and a new role. The review saved a staff cookie, logged out, and replayed
the cookie against /staff/ and /staff/replies: it must get nothing."""

from __future__ import annotations

from flask import g

from campaign.accounts import accounts
from campaign.core.extensions import db
from campaign.models import User

from .conftest import csrf_token
from .test_auth import login, make_user


def _client_with(app, cookie: str):
    # The test's app context outlives requests: forget the user the last one loaded.
    g.pop("_login_user", None)
    client = app.test_client()
    client.set_cookie("session", cookie, domain="localhost")
    return client


def _logged_in(app, email: str):
    g.pop("csrf_token", None)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client, client.get_cookie("session").value


def _shut_out(client) -> bool:
    g.pop("_login_user", None)
    answers = [client.get(path) for path in ("/staff/", "/staff/replies")]
    return all(a.status_code == 302 and "/login" in a.headers["Location"] for a in answers)


def test_a_staff_cookie_replayed_after_logout_gets_nothing(app):
    make_user("staff@example.org", "staff")
    client, saved = _logged_in(app, "staff@example.org")
    other, _ = _logged_in(app, "staff@example.org")  # the same account on another device
    assert client.get("/staff/replies").status_code == 200
    g.pop("csrf_token", None)
    token = csrf_token(client.get("/manage").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert _shut_out(_client_with(app, saved))
    assert _shut_out(other)
    again, _ = _logged_in(app, "staff@example.org")
    assert again.get("/staff/replies").status_code == 200


def test_deactivation_a_new_role_or_password_ends_every_session(app):
    admin = make_user("admin@example.org", "admin")
    staff = make_user("staff@example.org", "staff")
    staff_id = staff.id

    _, saved = _logged_in(app, "staff@example.org")
    accounts.set_role(db.session.get(User, staff_id), "organiser", admin)
    assert _shut_out(_client_with(app, saved))
    accounts.set_role(db.session.get(User, staff_id), "staff", admin)

    _, saved = _logged_in(app, "staff@example.org")
    accounts.set_active(db.session.get(User, staff_id), False, admin)
    assert _shut_out(_client_with(app, saved))
    accounts.set_active(db.session.get(User, staff_id), True, admin)

    _, saved = _logged_in(app, "staff@example.org")
    result = app.test_cli_runner().invoke(
        args=["users", "password", "staff@example.org"], input="a brand new password\n"
    )
    assert result.exit_code == 0, result.output
    assert _shut_out(_client_with(app, saved))
    g.pop("csrf_token", None)
    assert login(app.test_client(), "staff@example.org", "a brand new password").status_code == 302


def test_a_session_from_before_generations_names_nobody(app):
    make_user("staff@example.org", "staff")
    client, _ = _logged_in(app, "staff@example.org")
    with client.session_transaction() as session:
        session["_user_id"] = session["_user_id"].partition(":")[0]  # the old format
    assert _shut_out(client)
