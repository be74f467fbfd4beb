"""The partners' API: who may read what (an authorisation matrix over every route and
kind of token), the figures, the listing of consenting supporters with its cursor
and `since`, hostile parameters, the rate limit, the audit and the logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign.core.extensions import db
from campaign.models import AuditEntry, Letter, LetterState, PartnerApiToken
from campaign.models.base import utcnow
from campaign.partners import tokens

from .partners_support import bearer, campaign, make_partner, supporter_with_letters, token_for

ROUTES = (
    "/api/v1/partner",
    "/api/v1/campaigns",
    "/api/v1/campaigns/{slug}/figures",
    "/api/v1/campaigns/{slug}/partner-figures",
    "/api/v1/campaigns/{slug}/people",
    "/api/v1/campaigns/{slug}/withdrawals",
)
CAMPAIGN_ROUTES = [route for route in ROUTES if "{slug}" in route]


@pytest.fixture
def world(seeded):
    """Two campaigns; partner "ours" attached to the first, "theirs" to the second."""
    from campaign.seed import SECOND_SLUG, seed_demo

    seed_demo(second_campaign=True)
    first, second = campaign(), campaign(SECOND_SLUG)
    ours = make_partner("ours", first)
    theirs = make_partner("theirs", second)
    return {"first": first, "second": second, "ours": ours, "theirs": theirs}


def _json_refusal(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["reason"], body
    if code:
        assert body["error"] == code, body
    return body


def test_every_route_and_kind_of_token(world, client, app):
    """The authorisation matrix: each route answers each kind of token as it must."""
    ours, theirs = world["ours"], world["theirs"]
    valid = token_for(ours)
    other_partner = token_for(theirs)
    revoked = token_for(ours, "revoked")
    tokens.revoke_token(
        db.session.execute(select(PartnerApiToken).filter_by(label="revoked")).scalar_one(), None
    )
    expired = token_for(ours, "expired")
    row = db.session.execute(select(PartnerApiToken).filter_by(label="expired")).scalar_one()
    row.created_at = utcnow() - timedelta(days=app.config["API_TOKEN_MAX_AGE_DAYS"], seconds=1)
    db.session.commit()
    sleeping = make_partner("sleeping", world["first"], active=False)
    inactive = token_for(sleeping)
    refused = {
        "no header": ({}, "missing_token"),
        "not bearer": ({"Authorization": f"Basic {valid}"}, "missing_token"),
        "empty bearer": ({"Authorization": "Bearer "}, "missing_token"),
        "unknown": (bearer("tfr_" + "x" * 43), "invalid_token"),
        "huge": (bearer("t" * 100_000), "invalid_token"),
        "not ascii": ({"Authorization": "Bearer tfr_ü"}, "invalid_token"),
        "prefix only": (bearer(valid[:12]), "invalid_token"),
        "revoked": (bearer(revoked), "revoked_token"),
        "expired": (bearer(expired), "expired_token"),
        "inactive partner": (bearer(inactive), "inactive_partner"),
    }
    for route in ROUTES:
        for slug in ("time-for-release", "no-one-dies-in-custody", "no-such-campaign"):
            url = route.format(slug=slug)
            for kind, (headers, code) in refused.items():
                response = client.get(url, headers=headers)
                _json_refusal(response, 401, code)
                assert response.headers["WWW-Authenticate"].startswith("Bearer"), kind
                assert response.headers["Cache-Control"] == "no-store"
            if "{slug}" not in route:
                continue
            for name, token in (("ours", valid), ("theirs", other_partner)):
                response = client.get(url, headers=bearer(token))
                attached = (name, slug) in (
                    ("ours", "time-for-release"),
                    ("theirs", "no-one-dies-in-custody"),
                )
                if slug == "no-such-campaign":
                    _json_refusal(response, 404, "not_found")
                elif attached:
                    assert response.status_code == 200, (url, name)
                else:
                    _json_refusal(response, 403, "forbidden")
    for route in ("/api/v1/partner", "/api/v1/campaigns"):
        response = client.get(route, headers=bearer(valid))
        assert response.status_code == 200
        assert "set-cookie" not in {k.lower() for k in response.headers.keys()}
        assert response.headers["Cache-Control"] == "no-store"
    listed = client.get("/api/v1/campaigns", headers=bearer(valid)).get_json()["items"]
    assert [c["slug"] for c in listed] == ["time-for-release"]
    assert listed[0]["browser_url"].endswith("/c/time-for-release/via/ours")
    assert client.get("/api/v1/partner", headers=bearer(other_partner)).get_json()["slug"] == (
        "theirs"
    )


def test_a_revoked_token_fails_at_once_and_unknown_paths_are_json(world, client):
    token = token_for(world["ours"])
    assert client.get("/api/v1/partner", headers=bearer(token)).status_code == 200
    row = db.session.execute(select(PartnerApiToken)).scalars().first()
    tokens.revoke_token(row, None)
    _json_refusal(client.get("/api/v1/partner", headers=bearer(token)), 401, "revoked_token")
    missing = client.get("/api/v1/nothing-here", headers=bearer(token))
    _json_refusal(missing, 404, "not_found")
    assert missing.headers["Cache-Control"] == "no-store"
    assert client.post("/api/v1/partner", headers=bearer(token)).status_code == 405


def test_only_the_hash_of_a_token_is_kept_and_its_use_is_noted(world, client):
    token = token_for(world["ours"])
    row = db.session.execute(select(PartnerApiToken)).scalar_one()
    assert token not in (row.token_hash, row.prefix) and row.token_hash == tokens.hash_of(token)
    assert token.startswith(row.prefix) and len(row.prefix) == 12 and len(token) > 40
    assert row.last_used_at is None
    client.get("/api/v1/partner", headers=bearer(token))
    db.session.expire_all()
    assert row.last_used_at is not None


def test_figures_of_the_campaign_and_of_the_partner(world, client):
    first, ours = world["first"], world["ours"]
    # Through the partner: 2 confirmed supporters (3 letters), one unconfirmed (1 letter).
    supporter_with_letters(first, ours, "DE", letters=2, state=LetterState.SENT)
    supporter_with_letters(first, ours, "PL", letters=1, state=LetterState.QUEUED)
    supporter_with_letters(first, ours, "DE", letters=1, confirmed=False)
    # Without a partner, or through another: 1 confirmed supporter, 2 letters sent.
    supporter_with_letters(first, None, "DE", letters=2, state=LetterState.SENT)
    token = token_for(ours)

    whole = client.get("/api/v1/campaigns/time-for-release/figures", headers=bearer(token))
    assert whole.status_code == 200
    figures = whole.get_json()
    raw_written = db.session.execute(
        select(db.func.count()).select_from(Letter).where(Letter.campaign_id == first.id)
    ).scalar_one()
    assert figures["letters"]["written"] == raw_written == 6
    assert figures["letters"]["confirmed"] == 5
    assert figures["letters"]["sent"] == 4
    assert figures["supporters"] == 3
    by_country = {row["country"]: row for row in figures["by_country"]}
    assert by_country["DE"]["written"] == 5 and by_country["DE"]["sent"] == 4
    assert by_country["PL"]["confirmed"] == 1 and by_country["PL"]["sent"] == 0
    assert sum(row["written"] for row in figures["by_body"]) == 6
    assert all(row["body"]["name"] for row in figures["by_body"])

    own = client.get("/api/v1/campaigns/time-for-release/partner-figures", headers=bearer(token))
    mine = own.get_json()
    assert mine["partner"]["slug"] == "ours"
    assert mine["letters"]["written"] == 4 and mine["letters"]["confirmed"] == 3
    assert mine["letters"]["sent"] == 2
    assert mine["submissions"] == {"started": 3, "confirmed": 2}
    assert mine["supporters"] == 2
    assert mine["consents"] == {"listed": 2, "withdrawn": 0}
    assert {row["country"]: row["written"] for row in mine["by_country"]} == {"DE": 3, "PL": 1}


def _people(client, token, **params):
    response = client.get(
        "/api/v1/campaigns/time-for-release/people", headers=bearer(token), query_string=params
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_listing_gives_only_standing_consents_of_confirmed_supporters(world, client):
    first, second, ours, theirs = world["first"], world["second"], world["ours"], world["theirs"]
    theirs.campaigns.append(first)
    db.session.commit()
    listed, _sub, consent = supporter_with_letters(first, ours, "DE", name="Listed Person")
    supporter_with_letters(first, ours, "DE", confirmed=False, name="Unconfirmed Person")
    supporter_with_letters(first, ours, "DE", consent=False, name="No Consent")
    _s, _sub, gone = supporter_with_letters(first, ours, "DE", name="Withdrawn Person")
    gone.withdrawn_at = utcnow()
    anonymised, _sub, _c = supporter_with_letters(first, ours, "DE", name="Anonymised Person")
    anonymised.anonymised_at = utcnow()
    supporter_with_letters(first, theirs, "DE", name="Their Person")
    supporter_with_letters(second, theirs, "DE", name="Elsewhere Person")
    db.session.commit()

    page = _people(client, token_for(ours))
    assert [item["name"] for item in page["items"]] == ["Listed Person"]
    (item,) = page["items"]
    assert item["email_addresses"] == [
        {"address": listed.email, "primary": True, "status": "subscribed"}
    ]
    assert item["languages_spoken"] == ["de"]
    assert item["postal_addresses"] == [{"country": "DE"}]
    assert item["consent"]["wording"] == consent.wording
    assert item["consent"]["id"] == consent.id and item["consent"]["confirmed_at"]
    assert item["identifiers"][0].startswith("time-for-release:")
    assert page["next_cursor"] is None
    # Their own listing of the same campaign holds only theirs, under another identifier.
    (their_item,) = _people(client, token_for(theirs))["items"]
    assert their_item["name"] == "Their Person"
    # The withdrawal shows in the withdrawals listing, named so the partner can act.
    withdrawals = client.get(
        "/api/v1/campaigns/time-for-release/withdrawals", headers=bearer(token_for(ours))
    ).get_json()
    assert [w["consent"]["id"] for w in withdrawals["items"]] == [gone.id]


def test_pages_are_stable_while_supporters_confirm_and_since_filters(world, client):
    first, ours = world["first"], world["ours"]
    start = utcnow() - timedelta(hours=1)
    made = [
        supporter_with_letters(first, ours, confirmed_at=start + timedelta(minutes=i))[0]
        for i in range(5)
    ]
    token = token_for(ours)
    page = _people(client, token, limit="2")
    seen = [item["email_addresses"][0]["address"] for item in page["items"]]
    assert page["_links"]["next"]["href"].startswith("/api/v1/campaigns/time-for-release/people?")
    # Supporters confirm while the client pages: they come after, never in between.
    late = [supporter_with_letters(first, ours)[0] for _ in range(2)]
    while page["next_cursor"]:
        page = _people(client, token, limit="2", cursor=page["next_cursor"])
        seen += [item["email_addresses"][0]["address"] for item in page["items"]]
    assert seen == [s.email for s in made + late]
    # `since`: only those confirmed at or after it; a time without offset is UTC.
    since = (start + timedelta(minutes=3)).replace(tzinfo=None).isoformat()
    later = _people(client, token, since=since)["items"]
    assert [i["email_addresses"][0]["address"] for i in later] == [s.email for s in made[3:] + late]
    assert _people(client, token, since=utcnow().isoformat().replace("+00:00", "Z"))["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "x" * 5000},
        {"cursor": "not-a-cursor"},
        {"cursor": ""},
        {"cursor": "WzEsMl0.forged"},
        {"since": "yesterday"},
        {"since": "9" * 500},
        {"since": "2025-13-45T99:00:00Z"},
        {"since": "0001-01-01T00:00:00+14:00"},
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "-1"},
        {"limit": "1e3"},
        {"limit": "9" * 30},
        {"sinse": "2025-01-01"},
        {"since": ["2025-01-01", "2025-01-02"]},
    ],
)
def test_hostile_parameters_are_a_400_with_a_reason(world, client, params):
    token = token_for(world["ours"])
    response = client.get(
        "/api/v1/campaigns/time-for-release/people", headers=bearer(token), query_string=params
    )
    _json_refusal(response, 400, "bad_request")


def test_a_cursor_of_one_listing_is_refused_by_another(world, client):
    first, ours = world["first"], world["ours"]
    for _ in range(3):
        supporter_with_letters(first, ours)
    token = token_for(ours)
    cursor = _people(client, token, limit="1")["next_cursor"]
    assert cursor
    url = "/api/v1/campaigns/time-for-release/withdrawals"
    response = client.get(url, headers=bearer(token), query_string={"cursor": cursor})
    _json_refusal(response, 400)


def test_every_listing_is_audited_with_its_count_and_logs_name_no_one(world, client, caplog):
    first, ours = world["first"], world["ours"]
    people = [supporter_with_letters(first, ours)[0] for _ in range(3)]
    token = token_for(ours)
    with caplog.at_level(logging.DEBUG):
        _people(client, token, limit="2")
        client.get("/api/v1/campaigns/time-for-release/figures", headers=bearer(token))
        client.get("/api/v1/partner", headers=bearer("tfr_wrong"))
    entries = db.session.execute(
        select(AuditEntry).filter_by(object_type="personal_data")
    ).scalars()
    (entry,) = list(entries)
    assert entry.records == 2 and entry.action == "list"
    assert entry.actor.startswith("API token tfr_") and "ours" in entry.actor
    text = caplog.text
    assert "api GET /api/v1/campaigns/<slug>/people 200" in text and "records=2" in text
    assert "refused=invalid_token" in text
    for person in people:
        assert person.email not in text and person.name not in text
    assert token not in text


def test_the_rate_limit_counts_per_token(make_app, seeded):
    app = make_app(API_RATE_LIMIT="3/minute")
    with app.app_context():
        client = app.test_client()
        partner = make_partner("ours", campaign())
        first, second = token_for(partner), token_for(partner, "other")
        for _ in range(3):
            assert client.get("/api/v1/partner", headers=bearer(first)).status_code == 200
        refused = client.get("/api/v1/partner", headers=bearer(first))
        _json_refusal(refused, 429, "too_many_requests")
        assert int(refused.headers["Retry-After"]) > 0
        assert client.get("/api/v1/partner", headers=bearer(second)).status_code == 200
