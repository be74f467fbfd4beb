"""Closed to abuse: rate limits on every supporter-facing POST (per client address
and per email address or link), a honeypot, one letter per representative, a cap
on representatives, and holds for staff review."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from redis import Redis
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from campaign.core import limits, tokens
from campaign.core.extensions import db
from campaign.models import Letter, Submission, Supporter
from campaign.supporters import abuse, submissions

from . import flow
from .conftest import csrf_token
from .test_auth import login, make_user


@contextmanager
def seeded_app(make_app, **config):
    app = make_app(**config)
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        yield app


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.execute(db.select(db.func.count(model.id))).scalar()
        for model in (Supporter, Submission, Letter)
    )


def submit_from(client, address: str, email: str, country: str = "IE", reps: int = 1):
    client.environ_base["REMOTE_ADDR"] = address
    rep_ids = [r.id for r in flow.representatives_of(country)[:reps]]
    return flow.submit(client, country, rep_ids, flow.Details(email=email))


def submission_of(email: str) -> Submission:
    return (
        db.session.execute(
            db.select(Submission)
            .join(Supporter, Submission.supporter_id == Supporter.id)
            .filter(Supporter.email == email)
            .order_by(Submission.id.desc())
        )
        .scalars()
        .first()
    )


def confirm_by_link(client, submission: Submission):
    path = f"/confirm/{tokens.make_token(tokens.CONFIRM, submission.id)}"
    page = client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def letter_states(submission_id: int) -> set[str]:
    db.session.expire_all()
    return {
        letter.state
        for letter in db.session.execute(
            db.select(Letter).filter_by(submission_id=submission_id)
        ).scalars()
    }


# -- rate limits ----------------------------------------------------------------------


def test_limits_are_moving_windows_on_redis(app):
    assert app.config["RATELIMIT_STRATEGY"] == "moving-window"
    assert app.config["RATELIMIT_STORAGE_URI"].startswith(
        ("redis://", "redis+unix://", "rediss://")
    )


def test_unix_socket_redis_urls_are_named_for_the_limits_library():
    assert limits.storage_uri("unix:///tmp/redis.sock?db=3") == "redis+unix:///tmp/redis.sock?db=3"
    assert limits.storage_uri("redis://127.0.0.1:6379/8") == "redis://127.0.0.1:6379/8"


def test_the_documented_defaults():
    assert limits.DEFAULT_LIMITS == {
        "letters": ("30/minute;300/hour;1000/day", "5/hour;20/day"),
        "confirm": ("30/minute;300/hour", "10/hour"),
        "data_request": ("10/hour;50/day", "3/hour;10/day"),
        "data_page": ("30/hour;200/day", "20/hour"),
        "login": ("20/minute;200/hour", "10/minute;60/hour"),
        "login_link": ("10/hour;50/day", "3/hour;10/day"),
        "supporter_post": ("30/minute;300/hour", "20/hour"),
    }


def test_the_load_test_factor_raises_every_limit():
    assert limits.scaled("5/hour;20/day", 1000) == "5000/hour;20000/day"
    assert limits.scaled("30 per minute", 2.5) == "75 per minute"
    assert limits.scaled("5/hour", 1) == "5/hour"


def _token_for_endpoint(endpoint: str, known: dict[str, str]) -> str:
    return next((v for k, v in known.items() if k in endpoint), "x")


def test_every_supporter_facing_post_is_rate_limited(make_app):
    tiny = {name: ("2/minute", "2/minute") for name in limits.DEFAULT_LIMITS}
    with seeded_app(make_app, RATE_LIMITS=tiny) as app:
        client = app.test_client()
        submit_from(client, "192.0.2.1", "limits@example.org")
        submission = submission_of("limits@example.org")
        known = {
            "confirm": tokens.make_token(tokens.CONFIRM, submission.id),
            "status": tokens.make_token(tokens.STATUS, submission.id),
            "data": tokens.make_token(tokens.SUPPORTER_DATA, submission.supporter_id),
        }
        rules = [
            r
            for r in app.url_map.iter_rules()
            if "POST" in r.methods
            and (r.endpoint.startswith("supporters.") or r.endpoint == "auth.login")
        ]
        assert {
            "supporters.write_letters",
            "supporters.confirm",
            "supporters.data_request",
            "auth.login",
        } <= {r.endpoint for r in rules}
        for rule in rules:
            Redis.from_url(app.config["REDIS_URL"]).flushdb()
            url = re.sub(r"<(?:[^:>]+:)?country>", "IE", rule.rule)
            url = re.sub(r"<(?:[^:>]+:)?token>", _token_for_endpoint(rule.endpoint, known), url)
            url = re.sub(r"<int:[^>]+>", "1", url)  # a record id (a consent's, say)
            token = csrf_token(client.get("/your-data").get_data(as_text=True))
            # A fresh address each time, so only this route's limits count.
            client.environ_base["REMOTE_ADDR"] = f"198.51.100.{len(url) % 250}"
            statuses = [
                client.post(url, data={"csrf_token": token, "preview": "1"}).status_code
                for _ in range(3)
            ]
            assert statuses[-1] == 429, f"POST {url} is not rate limited: {statuses}"


def test_letters_are_limited_per_email_address_whatever_the_client(make_app):
    with seeded_app(make_app, RATE_LIMITS={"letters": ("100/minute", "2/hour")}) as app:
        client = app.test_client()
        assert submit_from(client, "192.0.2.1", "one@example.org").status_code == 302
        assert submit_from(client, "192.0.2.2", "one@example.org", country="LT").status_code == 302
        refused = submit_from(client, "192.0.2.3", "ONE@example.org", country="DE")
        assert refused.status_code == 429
        assert "Too many attempts" in refused.get_data(as_text=True)
        assert submit_from(client, "192.0.2.3", "two@example.org", country="DE").status_code == 302
        # Previews are not mail: they never count against the address.
        client.environ_base["REMOTE_ADDR"] = "192.0.2.4"
        rep = flow.representatives_of("PL")[0]
        page = flow.letters_page(client, "PL", [rep.id])
        data = flow.Details(email="one@example.org").form(
            csrf_token(page.get_data(as_text=True)), [rep.id], "preview"
        )
        assert client.post("/write/PL/letters", data=data).status_code == 200


def test_letters_are_limited_per_client_address(make_app):
    with seeded_app(make_app, RATE_LIMITS={"letters": ("2/minute", "100/hour")}) as app:
        client = app.test_client()
        assert submit_from(client, "192.0.2.10", "a@example.org").status_code == 302
        assert submit_from(client, "192.0.2.10", "b@example.org", country="LT").status_code == 302
        assert submit_from(client, "192.0.2.10", "c@example.org", country="DE").status_code == 429
        assert submit_from(client, "192.0.2.11", "c@example.org", country="DE").status_code == 302


def test_rate_limit_keys_hold_no_address_and_no_email(make_app):
    with seeded_app(make_app) as app:
        client = app.test_client()
        submit_from(client, "203.0.113.45", "private.person@example.org")
        keys = [k.decode() for k in Redis.from_url(app.config["REDIS_URL"]).keys("*")]
        limit_keys = [k for k in keys if "campaign-limits" in k]
        assert limit_keys, keys
        for key in keys:
            assert "203.0.113" not in key and "private.person" not in key, key


def test_webhooks_carry_no_rate_limit(make_app):
    tiny = {name: ("1/minute", "1/minute") for name in limits.DEFAULT_LIMITS}
    app = make_app(RATE_LIMITS=tiny)
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/webhooks/") and "POST" in r.methods
    ]
    if not rules:
        pytest.skip("no webhook routes in this build yet")
    client = app.test_client()
    for rule in rules:
        url = re.sub(r"<[^>]+>", "x", rule.rule)
        statuses = {
            client.post(url, data=b"[]", content_type="application/json").status_code
            for _ in range(5)
        }
        assert 429 not in statuses, (url, statuses)
        assert 500 not in statuses, (url, statuses)


# -- honeypot -------------------------------------------------------------------------


def test_the_honeypot_is_hidden_by_a_css_class(seeded, client):
    rep = flow.representatives_of("IE")[0]
    html = flow.letters_page(client, "IE", [rep.id]).get_data(as_text=True)
    match = re.search(r'<div class="hp" aria-hidden="true">.*?</div>', html, re.S)
    assert match and 'name="website"' in match.group(0)
    assert 'tabindex="-1"' in match.group(0) and "style=" not in match.group(0)
    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "campaign" / "static" / "style.css").read_text()
    rule = re.search(r"\.hp\s*\{([^}]*)\}", css)
    assert rule and "position: absolute" in rule.group(1) and "-10000px" in rule.group(1)


def test_a_filled_honeypot_is_dropped_silently(seeded, client, drain, app):
    rep = flow.representatives_of("IE")[0]
    page = flow.letters_page(client, "IE", [rep.id])
    data = flow.Details().form(csrf_token(page.get_data(as_text=True)), [rep.id])
    data["website"] = "http://spam.example.net"
    response = client.post("/write/IE/letters", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/check-your-email"
    )
    assert counts() == (0, 0, 0)
    drain()
    from pathlib import Path

    assert flow.outbox_messages(Path(app.config["OUTBOX_DIR"])) == []
    # The same form without the honeypot goes through.
    data.pop("website")
    assert client.post("/write/IE/letters", data=data).status_code == 302
    assert counts() == (1, 1, 1)


def test_a_filled_honeypot_on_the_data_request_sends_nothing(seeded, client, drain, app):
    flow.submit(
        client, "IE", [flow.representatives_of("IE")[0].id], flow.Details(email="known@example.org")
    )
    drain()
    from pathlib import Path

    before = len(flow.outbox_messages(Path(app.config["OUTBOX_DIR"])))
    token = csrf_token(client.get("/your-data").get_data(as_text=True))
    response = client.post(
        "/your-data", data={"csrf_token": token, "email": "known@example.org", "website": "x"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/your-data/sent")
    drain()
    assert len(flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))) == before


# -- one letter per representative; the cap ---------------------------------------------


def test_one_letter_per_supporter_per_representative_per_campaign(seeded, client):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details(email="once@example.org"))
    submissions.confirm(submission_of("once@example.org"))
    again = flow.submit(client, "IE", [rep.id], flow.Details(email="Once@Example.org"))
    assert again.status_code == 200
    assert "You have already written to every representative you chose." in again.get_data(
        as_text=True
    )
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 1
    # And the database says so too, whatever the code above it does.
    letter = db.session.execute(db.select(Letter)).scalar_one()
    twin = Letter(
        campaign_id=letter.campaign_id,
        submission_id=letter.submission_id,
        supporter_id=letter.supporter_id,
        representative_id=letter.representative_id,
        template_version_id=letter.template_version_id,
        language=letter.language,
        subject="s",
        body="b",
        state="queued",
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_representatives_per_submission_are_capped(make_app):
    with seeded_app(make_app, MAX_REPRESENTATIVES_PER_SUBMISSION=2) as app:
        client = app.test_client()
        reps = [r.id for r in flow.representatives_of("DE")]
        assert len(reps) >= 3
        response = flow.submit(client, "DE", reps[:3], flow.Details())
        assert response.status_code == 200
        assert "Please choose at most 2 representatives at a time." in response.get_data(
            as_text=True
        )
        assert counts() == (0, 0, 0)
        assert flow.submit(client, "DE", reps[:2], flow.Details()).status_code == 302


# -- holds ----------------------------------------------------------------------------


def test_one_address_writing_for_many_people_is_held(make_app):
    with seeded_app(make_app, HOLD_ADDRESSES_PER_IP=2, HOLD_NETWORK_BURST=100) as app:
        client = app.test_client()
        assert submit_from(client, "192.0.2.50", "p1@example.org").status_code == 302
        first = submission_of("p1@example.org")
        # Writing again as the same person does not count twice.
        assert submit_from(client, "192.0.2.50", "p1@example.org", country="LT").status_code == 302
        assert submission_of("p1@example.org").hold_reason is None
        for email in ("p2@example.org", "p3@example.org"):
            assert submit_from(client, "192.0.2.50", email).status_code == 302
        second, third = submission_of("p2@example.org"), submission_of("p3@example.org")
        assert first.hold_reason is None and second.hold_reason is None
        assert "one client address sent for 3 email addresses" in third.hold_reason
        for submission in (first, second, third):
            assert confirm_by_link(client, submission).status_code == 302
        assert letter_states(first.id) == {"queued"} and letter_states(second.id) == {"queued"}
        assert letter_states(third.id) == {"held"}
        # The supporter sees that the letters wait, not that they were sent.
        status = client.get(f"/status/{tokens.make_token(tokens.STATUS, third.id)}").get_data(
            as_text=True
        )
        assert "waiting for review" in status


@pytest.mark.parametrize(
    "same_network,other_network",
    [
        (["10.1.2.3", "10.1.2.4", "10.1.2.200", "10.1.2.77"], "10.1.3.1"),
        (
            ["2001:db8:1::1", "2001:db8:1:ffff::2", "2001:db8:1:2::3", "2001:db8:1::abcd"],
            "2001:db8:2::1",
        ),
    ],
    ids=["ipv4-24", "ipv6-48"],
)
def test_a_burst_from_one_network_is_held(make_app, same_network, other_network):
    with seeded_app(make_app, HOLD_NETWORK_BURST=3, HOLD_ADDRESSES_PER_IP=100) as app:
        client = app.test_client()
        for i, address in enumerate(same_network):
            assert submit_from(client, address, f"n{i}@example.org").status_code == 302
        assert submit_from(client, other_network, "elsewhere@example.org").status_code == 302
        reasons = [submission_of(f"n{i}@example.org").hold_reason for i in range(4)]
        assert reasons[:3] == [None, None, None]
        assert "4 submissions from one network within 10 minutes" in reasons[3]
        assert submission_of("elsewhere@example.org").hold_reason is None


def test_the_load_test_factor_raises_the_hold_thresholds(make_app):
    with seeded_app(make_app, HOLD_ADDRESSES_PER_IP=1, ABUSE_LIMITS_FACTOR=10) as app:
        client = app.test_client()
        for i in range(5):
            assert submit_from(client, "192.0.2.60", f"f{i}@example.org").status_code == 302
        assert all(submission_of(f"f{i}@example.org").hold_reason is None for i in range(5))


def test_no_client_address_is_stored_in_clear(make_app):
    with seeded_app(make_app, HOLD_ADDRESSES_PER_IP=1) as app:
        client = app.test_client()
        submit_from(client, "203.0.113.77", "x1@example.org")
        submit_from(client, "203.0.113.77", "x2@example.org")
        submission = submission_of("x1@example.org")
        assert submission.ip_hash and submission.network_hash
        assert (
            submission.ip_hash == limits.ip_hash("203.0.113.77") != limits.ip_hash("203.0.113.78")
        )
        assert len(submission.ip_hash) == 32 and "203" not in submission.ip_hash
        # Nothing anywhere in the database holds the address.
        with db.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    assert "203.0.113" not in " ".join(str(v) for v in row), table


def test_the_hash_key_can_be_set_and_changes_every_hash(make_app):
    app = make_app(IP_HASH_KEY="k" * 40)
    with app.app_context():
        keyed = limits.ip_hash("192.0.2.1")
    other = make_app()
    with other.app_context():
        assert limits.ip_hash("192.0.2.1") != keyed
        # IPv4-mapped IPv6 is the same client.
        assert limits.ip_hash("::ffff:192.0.2.1") == limits.ip_hash("192.0.2.1")
        assert limits.network_of("192.0.2.99") == "192.0.2.0/24"
        assert limits.network_of("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"


def _held_submission(make_app, **config):
    return seeded_app(make_app, HOLD_ADDRESSES_PER_IP=0, **config)


def test_staff_release_held_letters_and_they_are_sent(make_app):
    with _held_submission(make_app) as app:
        client = app.test_client()
        submit_from(client, "192.0.2.70", "held@example.org", country="LT", reps=2)
        submission = submission_of("held@example.org")
        confirm_by_link(client, submission)
        assert letter_states(submission.id) == {"held"}
        from .delivery_support import drain_jobs as drain

        drain()
        assert letter_states(submission.id) == {"held"}  # nothing goes out while held

        make_user("staff@example.org", "staff")
        staff = app.test_client()
        with app.app_context():  # a second browser: its own request state
            assert login(staff, "staff@example.org").status_code == 302
            page = staff.get("/staff/held")
            html = page.get_data(as_text=True)
            assert page.status_code == 200 and "one client address sent for" in html
            assert "held@example.org" in html
            response = staff.post(
                f"/staff/held/{submission.id}/release", data={"csrf_token": csrf_token(html)}
            )
            assert response.status_code == 302
        assert letter_states(submission.id) == {"queued"}
        drain()
        # Sent, or waiting for the delivery throttle: never held any more.
        assert "sent" in letter_states(submission.id)
        assert letter_states(submission.id) <= {"queued", "sending", "sent"}
        events = (
            db.session.execute(db.select(Letter).filter_by(submission_id=submission.id))
            .scalars()
            .first()
            .events
        )
        assert [e.to_state for e in events][:3] == ["awaiting_confirmation", "held", "queued"]
        assert "released by staff (staff@example.org)" in events[2].cause
        with app.app_context():
            assert "No letters are held." in staff.get("/staff/held").get_data(as_text=True)


def test_staff_reject_held_letters_and_they_are_never_sent(make_app):
    with _held_submission(make_app) as app:
        client = app.test_client()
        submit_from(client, "192.0.2.71", "spam@example.org")
        submission = submission_of("spam@example.org")
        confirm_by_link(client, submission)
        make_user("staff2@example.org", "staff")
        staff = app.test_client()
        with app.app_context():  # a second browser: its own request state
            login(staff, "staff2@example.org")
            html = staff.get("/staff/held").get_data(as_text=True)
            staff.post(f"/staff/held/{submission.id}/reject", data={"csrf_token": csrf_token(html)})
        assert letter_states(submission.id) == {"rejected"}
        # A second click (another reviewer) changes nothing.
        with app.app_context():
            staff.post(
                f"/staff/held/{submission.id}/release", data={"csrf_token": csrf_token(html)}
            )
        assert letter_states(submission.id) == {"rejected"}
        assert abuse.held_submissions() == []


def test_only_staff_review_held_letters(make_app):
    with _held_submission(make_app) as app:
        organiser = app.test_client()
        make_user("org@example.org", "organiser")
        login(organiser, "org@example.org")
        assert organiser.get("/staff/held").status_code == 403
        with app.app_context():  # another browser, not logged in
            assert app.test_client().get("/staff/held").status_code == 302  # to the login page


def test_views_with_their_own_limits_do_not_also_count_the_blueprints(make_app):
    with seeded_app(make_app, RATE_LIMITS={"supporter_post": ("1/minute", "1/minute")}) as app:
        client = app.test_client()
        for i in range(3):
            assert submit_from(client, "192.0.2.90", f"own{i}@example.org").status_code == 302


@pytest.mark.parametrize("proxies,expected", [(0, "127.0.0.1"), (1, "198.51.100.23")])
def test_x_forwarded_for_is_believed_only_behind_a_configured_proxy(make_app, proxies, expected):
    with seeded_app(make_app, TRUSTED_PROXY_COUNT=proxies) as app:
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.23"
        assert submit_from(client, "127.0.0.1", "behind@example.org").status_code == 302
        assert submission_of("behind@example.org").ip_hash == limits.ip_hash(expected)
