"""Accounts, login, roles; and a walk over every route as every kind of visitor."""

import re

import pytest

from campaign.core.extensions import db
from campaign.models import User

from .conftest import csrf_token

PASSWORD = "correct horse battery staple"


def make_user(email: str, role: str, password: str = PASSWORD) -> User:
    user = User(email=email, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def login(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    page = client.get("/login")
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": email,
            "password": password,
        },
    )


def test_passwords_are_hashed_with_argon2(app):
    user = make_user("admin@example.org", "admin")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD) and not user.check_password("wrong")


def test_login_and_logout(app, client):
    make_user("organiser@example.org", "organiser")
    bad = login(client, "organiser@example.org", "wrong password")
    assert bad.status_code == 200 and "Wrong email address or password." in bad.get_data(
        as_text=True
    )
    unknown = login(client, "nobody@example.org")
    assert "Wrong email address or password." in unknown.get_data(as_text=True)
    ok = login(client, "Organiser@Example.org", next_url="/manage")
    assert ok.status_code == 302 and ok.headers["Location"] == "/manage"
    home = client.get("/manage").get_data(as_text=True)
    assert "organiser@example.org" in home
    client.post("/logout", data={"csrf_token": csrf_token(home)})
    assert client.get("/manage").status_code == 302


def test_login_never_redirects_off_site(app, client):
    make_user("staff@example.org", "staff")
    response = login(client, "staff@example.org", next_url="https://evil.example.net/")
    assert response.headers["Location"] == "/manage"
    response = login(client, "staff@example.org", next_url="//evil.example.net/")
    assert response.headers["Location"] == "/manage"


def test_inactive_user_cannot_log_in(app, client):
    user = make_user("gone@example.org", "staff")
    user.active = False
    db.session.commit()
    assert "Wrong email address or password." in login(client, "gone@example.org").get_data(
        as_text=True
    )


def test_users_create_reads_the_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "new@example.org", "--role", "staff"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(db.select(User).filter_by(email="new@example.org")).scalar_one()
    assert user.role == "staff" and user.check_password(PASSWORD)
    again = runner.invoke(
        args=["users", "create", "new@example.org", "--role", "staff"], input=PASSWORD + "\n"
    )
    assert again.exit_code != 0 and "exists already" in again.output
    short = runner.invoke(
        args=["users", "create", "b@example.org", "--role", "staff"], input="short\n"
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    bad_role = runner.invoke(
        args=["users", "create", "c@example.org", "--role", "king"], input=PASSWORD + "\n"
    )
    assert bad_role.exit_code != 0
    bad_email = runner.invoke(
        args=["users", "create", "not-an-email", "--role", "staff"], input=PASSWORD + "\n"
    )
    assert bad_email.exit_code != 0 and "is not an email address" in bad_email.output
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1


# Who may open each endpoint. A new route must be added here, or the walk fails:
# nobody can add a page without deciding who sees it.
ACCESS = {
    "supporters.index": "public",
    "supporters.choose_country": "public",
    "supporters.choose_representatives": "public",
    "supporters.write_letters": "public",
    "supporters.check_email": "public",
    "supporters.resend": "public",
    "supporters.privacy": "public",
    "supporters.confirm": "public",
    "supporters.status": "public",
    "supporters.status_json": "public",
    "health.healthz": "public",
    "auth.login": "public",
    "auth.logout": "any",
    "auth.login_link_request": "public",
    "auth.login_link_sent": "public",
    "auth.login_link": "public",
    "auth.home": "any",
    "organisers.index": "organiser",
    "organisers.campaigns": "organiser",
    "organisers.new_campaign": "organiser",
    "organisers.edit_campaign": "organiser",
    "organisers.make_default_campaign": "organiser",
    "organisers.own_words_settings": "organiser",
    "organisers.control_sending": "organiser",
    "organisers.templates": "organiser",
    "organisers.create_template": "organiser",
    "organisers.edit_template": "organiser",
    "organisers.preview_template": "organiser",
    "organisers.preview_text": "organiser",
    "organisers.save_draft": "organiser",
    "organisers.publish_template": "organiser",
    "organisers.confirm_publish": "organiser",
    "organisers.translations": "organiser",
    "organisers.send_test_letter": "organiser",
    "organisers.discard_draft": "organiser",
    "organisers.template_versions": "organiser",
    "organisers.rollback_template": "organiser",
    "organisers.representatives": "organiser",
    "organisers.edit_representative": "organiser",
    "organisers.deactivate_representative": "organiser",
    "organisers.reactivate_representative": "organiser",
    "organisers.bodies": "organiser",
    "organisers.body_names": "organiser",
    "organisers.import_places": "organiser",
    "organisers.imports": "organiser",
    "organisers.new_import": "organiser",
    "organisers.import_run": "organiser",
    "organisers.confirm_import": "organiser",
    "organisers.import_sample": "organiser",
    "admin.users": "admin",
    "admin.new_user": "admin",
    "admin.edit_user": "admin",
    "admin.deactivate_user": "admin",
    "admin.reactivate_user": "admin",
    "admin.audit_log": "admin",
    "admin.security": "admin",
    "admin.reset_second_factor": "admin",
    "auth.second_factor_login": "public",
    "auth.setup_second_factor": "any",
    "staff.index": "staff",
    "staff.queues": "staff",
    "staff.campaign_queue": "staff",
    "staff.control_sending": "organiser",
    "supporters.data_request": "public",
    "supporters.data_request_sent": "public",
    "supporters.your_data": "public",
    "supporters.download_data": "public",
    "supporters.delete_data": "public",
    "supporters.status_request": "public",
    "supporters.status_request_sent": "public",
    "supporters.status_data_link": "public",
    "staff.held": "staff",
    "staff.release_held": "staff",
    "staff.reject_held": "staff",
    # Replies, events and reports: webhooks authenticate themselves (signature, secret path).
    "webhooks.sendgrid_events": "public",
    "webhooks.sendgrid_inbound": "public",
    "supporters.survey": "public",
    # The public responsiveness page (when a campaign publishes it) and its method.
    "supporters.responsiveness_page": "public",
    "supporters.responsiveness_method": "public",
    "staff.replies": "staff",
    "staff.reply": "staff",
    "staff.update_reply": "staff",
    "staff.letter": "staff",
    "staff.log_response": "staff",
    "staff.reports": "staff",
    "staff.representative": "staff",
    "staff.addresses": "staff",
    "staff.resolve_address": "staff",
    "staff.jobs": "admin",
    "staff.queue_action": "admin",
    "staff.job_action": "admin",
    "staff.cancel_held": "staff",
    "staff.office_requests": "staff",
    "staff.representative_office_requests": "staff",
    "staff.withdraw_office_request": "staff",
    # Partners' API access (admins) and the webhook delivery log (staff).
    "admin.partner_api": "admin",
    "admin.create_token": "admin",
    "admin.revoke_token": "admin",
    "admin.add_endpoint": "admin",
    "admin.webhook_endpoint": "admin",
    "admin.deactivate_endpoint": "admin",
    "staff.webhook_deliveries": "staff",
    # The partners' API authenticates each request with its token (401 without one:
    # tests/test_partners_api.py walks every route with every kind of token).
    "api.openapi_description": "public",
    "api.partner": "public",
    "api.campaigns": "public",
    "api.campaign_figures": "public",
    "api.partner_figures": "public",
    "api.campaign_people": "public",
    "api.campaign_withdrawals": "public",
    # Partners: their admin pages, their logos, their embedded form, consent withdrawal.
    "admin.partners": "admin",
    "admin.new_partner": "admin",
    "admin.edit_partner": "admin",
    "admin.remove_partner_logo": "admin",
    "supporters.partner_logo": "public",
    "supporters.embed_index": "public",
    "supporters.embed_choose_country": "public",
    "supporters.embed_choose_representatives": "public",
    "supporters.embed_write_letters": "public",
    "supporters.withdraw_consent": "public",
}
ROLES = ("admin", "organiser", "staff")


def allowed(rule: str, role: str | None) -> bool:
    if rule == "public":
        return True
    if role is None:
        return False
    if rule == "any":
        return True
    return role == "admin" or role == rule


def _url_for_rule(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        url = re.sub(rf"<(?:[^:>]+:)?{arg}>", "1" if "Integer" in converter else "x", url)
    return url


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_answers_as_expected_for_every_role(seeded, role):
    client = seeded.test_client()
    if role:
        make_user(f"{role}@example.org", role)
        assert login(client, f"{role}@example.org").status_code == 302
    rules = [
        r
        for r in seeded.url_map.iter_rules()
        if r.endpoint != "static" and not r.endpoint.startswith(("dev.", "rq_dashboard"))
    ]
    unknown = sorted({r.endpoint for r in rules} - set(ACCESS))
    assert not unknown, f"routes without a declared audience: {unknown}"
    for rule in rules:
        url = _url_for_rule(rule)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        expected_ok = allowed(ACCESS[rule.endpoint], role)
        where = f"{method} {url} as {role or 'anonymous'}: {response.status_code}"
        assert response.status_code < 500, where
        if expected_ok:
            assert response.status_code != 403, where
            assert not (response.status_code == 302 and "/login" in response.headers["Location"]), (
                where
            )
        elif role is None:
            assert response.status_code in (302, 400, 401), where
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], where
        else:
            assert response.status_code in (400, 403), where
