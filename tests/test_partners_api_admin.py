"""The admins' page of a partner's API tokens and webhook endpoints, and the staff's
webhook delivery log: who may open them, a token shown once and kept as a hash,
revoked at once, endpoints refused at their field when unsafe."""

# ruff: noqa: F811 - the receiver fixture imported from partners_support is used as an argument

from __future__ import annotations

import re

import pytest
from flask import g
from sqlalchemy import select

from campaign.core.extensions import db
from campaign.models import AuditEntry, PartnerApiToken, WebhookDelivery, WebhookEndpoint
from campaign.partners import events, tokens

from .organisers_support import field_error, log_in_as, token_of
from .partners_support import bearer, campaign, make_partner, receiver, supporter_with_letters  # noqa: F401


def new_client(app):
    """Another person's client: the test's app context outlives requests, so the
    cached CSRF token and user of the last one are dropped."""
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    return app.test_client()


@pytest.fixture
def partner(seeded):
    return make_partner("ours", campaign())


def test_only_admins_open_the_api_page_and_staff_the_delivery_log(partner, app):
    page = f"/admin/partners/{partner.id}/api"
    anonymous = app.test_client()
    assert anonymous.get(page).status_code == 302
    assert anonymous.get("/staff/webhooks").status_code == 302
    for role, api_page, log_page in (
        ("organiser", 403, 403),
        ("staff", 403, 200),
        ("admin", 200, 200),
    ):
        client = new_client(app)
        log_in_as(client, role)
        assert client.get(page).status_code == api_page, role
        assert client.get("/staff/webhooks").status_code == log_page, role
    client = new_client(app)
    log_in_as(client, "admin", "admin2@example.org")
    assert client.get("/admin/partners/999999/api").status_code == 404
    assert client.get(f"/admin/partners/{2**63}/api").status_code == 404


def test_a_token_is_shown_once_kept_as_a_hash_and_revoked_at_once(partner, client):
    log_in_as(client, "admin")
    page = f"/admin/partners/{partner.id}/api"
    csrf = token_of(client, page)
    empty = client.post(f"{page}/tokens", data={"csrf_token": csrf, "label": ""})
    assert empty.status_code == 422 and field_error(empty.get_data(as_text=True), "label")
    assert db.session.execute(select(PartnerApiToken)).first() is None

    made = client.post(f"{page}/tokens", data={"csrf_token": csrf, "label": "Our CRM"})
    assert made.status_code == 201
    assert made.headers["Cache-Control"] == "no-store"
    plain = re.search(r'value="(tfr_[^"]+)"', made.get_data(as_text=True)).group(1)
    row = db.session.execute(select(PartnerApiToken)).scalar_one()
    assert row.token_hash == tokens.hash_of(plain) and plain not in row.token_hash
    assert row.label == "Our CRM" and row.created_by_id is not None
    listing = client.get(page).get_data(as_text=True)
    assert row.prefix in listing and "Our CRM" in listing and plain not in listing
    assert plain not in str(made.headers)  # not in a cookie: shown in the page only

    api = client.application.test_client()
    assert api.get("/api/v1/partner", headers=bearer(plain)).status_code == 200
    db.session.expire_all()
    assert row.last_used_at.strftime("%Y-%m-%d %H:%M") in client.get(page).get_data(as_text=True)
    revoke = client.post(f"{page}/tokens/{row.id}/revoke", data={"csrf_token": csrf})
    assert revoke.status_code == 302
    assert api.get("/api/v1/partner", headers=bearer(plain)).status_code == 401
    actions = [e.action for e in db.session.execute(select(AuditEntry)).scalars()]
    assert actions == ["token_created", "token_revoked"]
    # Another partner's page cannot revoke it, nor can a form without its CSRF token.
    other = make_partner("theirs", campaign())
    assert (
        client.post(
            f"/admin/partners/{other.id}/api/tokens/{row.id}/revoke", data={"csrf_token": csrf}
        ).status_code
        == 404
    )
    assert client.post(f"{page}/tokens/{row.id}/revoke").status_code == 400


@pytest.mark.parametrize(
    "url,message",
    [
        ("http://127.0.0.1:9/hook", "must start with https://"),
        ("https://127.0.0.1/hook", "private network or this machine"),
        ("https://[::1]/hook", "private network or this machine"),
        ("https://10.0.0.7/hook", "private network or this machine"),
        ("https://169.254.169.254/latest/meta-data/", "private network or this machine"),
        ("https://localhost/hook", "private network or this machine"),
        ("https://partner.example@127.0.0.1/hook", "user name or password"),
        ("gopher://93.184.216.34/", "must start with https://"),
        ("https://" + "a" * 490 + ".org/", "longer than 500 characters"),
    ],
)
def test_unsafe_endpoints_are_refused_at_their_field(partner, client, url, message):
    log_in_as(client, "admin")
    page = f"/admin/partners/{partner.id}/api"
    refused = client.post(
        f"{page}/endpoints", data={"csrf_token": token_of(client, page), "url": url}
    )
    assert refused.status_code == 422
    assert message in field_error(refused.get_data(as_text=True), "url")
    assert db.session.execute(select(WebhookEndpoint)).first() is None


def test_an_endpoint_is_added_its_secret_shown_and_deactivated(make_app, seeded, receiver):
    app = make_app(WEBHOOKS_ALLOW_LOOPBACK=True)
    with app.app_context():
        partner = make_partner("ours", campaign())
        client = app.test_client()
        log_in_as(client, "admin")
        page = f"/admin/partners/{partner.id}/api"
        csrf = token_of(client, page)
        added = client.post(f"{page}/endpoints", data={"csrf_token": csrf, "url": receiver.url})
        endpoint = db.session.execute(select(WebhookEndpoint)).scalar_one()
        assert added.status_code == 302 and added.headers["Location"].endswith(
            f"/endpoints/{endpoint.id}"
        )
        shown = client.get(added.headers["Location"]).get_data(as_text=True)
        assert endpoint.secret in shown and endpoint.secret.startswith("whsec_")
        # A delivery shows in the endpoint's list and in the staff's log, without its payload.
        supporter, _sub, consent = supporter_with_letters(campaign(), partner)
        events.consents_confirmed([consent.id])
        staff = new_client(app)
        log_in_as(staff, "staff")
        g.pop("_login_user", None)
        log = staff.get("/staff/webhooks").get_data(as_text=True)
        assert "consent.confirmed" in log and "pending" in log
        assert supporter.email not in log and supporter.name not in log
        assert receiver.url not in log and endpoint.secret not in log
        assert "pending" in staff.get("/staff/webhooks?state=pending").get_data(as_text=True)
        assert "consent.confirmed" not in staff.get("/staff/webhooks?state=failed").get_data(
            as_text=True
        )
        assert staff.get("/staff/webhooks?state=<script>&page=99999999").status_code == 200
        g.pop("_login_user", None)
        assert "consent.confirmed" in client.get(added.headers["Location"]).get_data(as_text=True)
        off = client.post(f"{page}/endpoints/{endpoint.id}/deactivate", data={"csrf_token": csrf})
        assert off.status_code == 302
        db.session.expire_all()
        assert endpoint.active is False
        events.consents_confirmed([consent.id])
        assert (
            db.session.execute(select(db.func.count()).select_from(WebhookDelivery)).scalar() == 1
        )


def test_the_partners_page_leads_to_its_api_page(partner, client):
    log_in_as(client, "admin")
    page = client.get(f"/admin/partners/{partner.id}").get_data(as_text=True)
    assert f'href="/admin/partners/{partner.id}/api"' in page
