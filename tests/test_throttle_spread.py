"""Sending spread over the campaign: each representative's letters leave evenly
spaced until the campaign closes, never faster than the daily ceiling; letters held
back wait in the database (deferred), the pace survives a Redis loss, and campaigns
that do not spread go exactly as before."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from campaign.core.extensions import db
from campaign.delivery import dispatch
from campaign.delivery.spread import last_send, outlook
from campaign.delivery.throttle import Limits, Request, spread_key
from campaign.devtools.backlog import make_backlog
from campaign.models import Campaign, Letter
from campaign.models.base import utcnow

from .conftest import csrf_token
from .delivery_support import (  # noqa: F401 - fixtures
    dispatch_all,
    make_due,
    sendgrid,
    sendgrid_settings,
    states,
)
from .organisers_support import field_error, log_in_as
from .test_organisers_campaigns import VALID

FAST = {"per_second": 1000, "rep_per_hour": 1000, "rep_per_day": 10000, "domain_per_minute": 1000}


@pytest.fixture
def throttle(make_app):
    app = make_app(THROTTLE_REBUILD_SETTLE_SECONDS=0)
    with app.app_context():
        yield dispatch.get_throttle()


def spread_limits(throttle, seconds_left: float, per_day: int = 86400) -> Limits:
    end = throttle.redis_time() + seconds_left
    return Limits(**FAST, spread_end=end, spread_per_day=per_day)


def ask(throttle, limits, members, waiting, rep=1, campaign=1):
    requests = [
        Request(m, rep, "example.org", limits, campaign_id=campaign, waiting=waiting)
        for m in members
    ]
    return throttle.reserve(requests)


def test_letters_waiting_are_spaced_evenly_until_the_end(throttle):
    limits = spread_limits(throttle, 20)
    # Four letters wait: the first goes at once, the next 20 s / 4 = 5 s later.
    result = ask(throttle, limits, ["a", "b"], waiting=4)
    assert list(result.granted) == ["a"]
    wait, why = result.deferred["b"]
    assert why == "spread" and 4.9 < wait <= 5.01
    # Another worker asks for the same representative: held back just the same.
    again = ask(throttle, limits, ["c"], waiting=3)
    assert again.granted == {} and 4.8 < again.deferred["c"][0] <= 5.01
    # Letters written meanwhile tighten the pace: 9 waiting, 20 s / 10 = 2 s.
    busier = ask(throttle, limits, ["d"], waiting=9)
    assert 1.8 < busier.deferred["d"][0] <= 2.01
    # Another representative, or another campaign's letters, are not held back.
    assert ask(throttle, limits, ["e"], waiting=4, rep=2).granted
    assert ask(throttle, limits, ["f"], waiting=4, campaign=2).granted


def test_the_daily_ceiling_is_the_fastest_pace(throttle):
    # 100 letters in 20 s would be 0.2 s apart; 24 a day keeps them an hour apart.
    limits = spread_limits(throttle, 20, per_day=24)
    result = ask(throttle, limits, ["a", "b"], waiting=100)
    assert list(result.granted) == ["a"]
    assert 3599 < result.deferred["b"][0] <= 3600.01
    # After the end the ceiling alone sets the pace: nothing is dropped.
    closed = spread_limits(throttle, -600, per_day=48)
    late = ask(throttle, closed, ["c", "d"], waiting=2, campaign=3)
    assert list(late.granted) == ["c"] and 1799 < late.deferred["d"][0] <= 1800.01


def test_a_refund_gives_back_the_representatives_turn(throttle):
    limits = spread_limits(throttle, 20)
    first = [Request("a", 1, "example.org", limits, campaign_id=1, waiting=4)]
    assert throttle.reserve(first).granted
    throttle.refund(first)
    assert ask(throttle, limits, ["b"], waiting=4).granted


def test_a_campaign_that_does_not_spread_keeps_no_spread_state(throttle):
    limits = Limits(**FAST)
    result = ask(throttle, limits, ["a", "b", "c"], waiting=3)
    assert list(result.granted) == ["a", "b", "c"] and not result.deferred
    assert not throttle.redis.exists(spread_key(1, 1))


def test_last_send_arithmetic():
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    end = now + timedelta(seconds=20)
    # Nothing sent yet: the first at once, the other three 5 s apart.
    assert last_send(None, 4, end, 0.0, now) == now + timedelta(seconds=15)
    # The previous one left 5 s ago, three wait: 25 s / 4 apart.
    previous = now - timedelta(seconds=5)
    assert last_send(previous, 3, end, 0.0, now) == previous + timedelta(seconds=25 / 4 * 3)
    # The ceiling binds: an hour apart, past the end.
    assert last_send(None, 3, end, 3600.0, now) == now + timedelta(hours=2)
    assert last_send(None, 0, end, 0.0, now) is None


def spread_backlog(letters: int, seconds_left: float, **settings) -> tuple:
    ends = utcnow() + timedelta(seconds=seconds_left)
    backlog = make_backlog(
        letters,
        1,
        throttle_per_second=200,
        spread_until_close=True,
        spread_daily_ceiling=86400,
        closes_at=ends.date(),
        spread_ends_at=ends,
        **settings,
    )
    return backlog, ends


def deferred_until() -> list[datetime]:
    db.session.expire_all()
    return sorted(
        db.session.execute(
            db.select(Letter.next_attempt_at).where(Letter.state == "queued")
        ).scalars()
    )


def test_held_back_letters_are_deferred_and_the_pace_survives_a_redis_loss(make_app, sendgrid):
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True, THROTTLE_JITTER_SECONDS=0))
    with app.app_context():
        backlog, ends = spread_backlog(4, 40)
        started = utcnow()
        counts = dispatch_all()
        assert counts["sent"] == 1 and counts["deferred"] == 3
        assert states() == {"sent": 1, "queued": 3}
        # 40 s / 4 letters: the next may go 10 s after the first.
        sent_at = db.session.execute(
            db.select(Letter.sent_at).where(Letter.state == "sent")
        ).scalar_one()
        for at in deferred_until():
            assert 9.5 < (at - started).total_seconds() < 10.5
        # Redis forgets everything; a worker takes the letters early: the last send
        # is rebuilt from the database and the letters stay held back.
        dispatch.get_throttle().redis.flushdb()
        make_due()
        counts = dispatch_all()
        assert counts.get("sent", 0) == 0 and counts["deferred"] == 3
        for at in deferred_until():
            gap = (at - sent_at).total_seconds()
            assert 9.0 < gap < 10.5, gap
        assert len(sendgrid.messages) == 1
        # The organisers' outlook: the last of the three about 30 s after the first.
        campaign = db.session.get(Campaign, backlog.campaign_id)
        view = outlook(campaign)
        assert view.queued == 3 and view.representatives == 1 and view.end == ends
        assert abs((view.last_send - sent_at).total_seconds() - 30) < 1.0


def test_a_campaign_without_spreading_sends_everything_at_once(make_app, sendgrid):
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True))
    with app.app_context():
        backlog = make_backlog(4, 1, throttle_per_second=200, closes_at=date.today())
        counts = dispatch_all()
        assert counts["sent"] == 4 and states() == {"sent": 4}
        assert outlook(db.session.get(Campaign, backlog.campaign_id)) is None


# -- the organisers' form ---------------------------------------------------------------


def post_campaign(client, url, **changes):
    page = client.get(url).get_data(as_text=True)
    data = {**VALID, **changes, "csrf_token": csrf_token(page)}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def test_spreading_needs_a_closing_date(app, client):
    log_in_as(client)
    response = post_campaign(
        client, "/organise/campaigns/new", closes_at="", spread_until_close="y"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "closing date first" in field_error(html, "spread_until_close")
    assert db.session.execute(db.select(db.func.count(Campaign.id))).scalar() == 0
    bad = post_campaign(client, "/organise/campaigns/new", spread_daily_ceiling="0")
    assert "at least 1" in field_error(bad.get_data(as_text=True), "spread_daily_ceiling")


def test_organisers_turn_spreading_on_and_see_its_outlook(app, client):
    log_in_as(client, "admin")  # the organiser's page and the staff queue page
    response = post_campaign(
        client,
        "/organise/campaigns/new",
        spread_until_close="y",
        spread_daily_ceiling="48",
        spread_ends_at="2026-12-20T18:00",
    )
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "")
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    assert campaign.spread_until_close and campaign.spread_daily_ceiling == 48
    assert campaign.spread_end() == datetime(2026, 12, 20, 18, tzinfo=UTC)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Spread evenly until 2026-12-20 18:00 UTC" in page
    staff_page = client.get(f"/staff/queues/{campaign.slug}").get_data(as_text=True)
    assert "Spread evenly until 2026-12-20 18:00 UTC" in staff_page
    # Without a moment of its own, it spreads until the end of the closing day.
    saved = post_campaign(
        client, f"/organise/campaigns/{campaign.id}", spread_until_close="y", spread_ends_at=""
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert campaign.spread_end() == datetime(2027, 1, 1, tzinfo=UTC)
    assert campaign.spread_daily_ceiling == 48  # not given: kept
    # Unticked, the campaign sends as fast as its limits allow again.
    post_campaign(client, f"/organise/campaigns/{campaign.id}")
    db.session.expire_all()
    assert campaign.spread_end() is None


def test_the_outlook_says_when_the_ceiling_keeps_letters_past_the_end(app):
    from flask import render_template

    from campaign.delivery.spread import SpreadOutlook

    end = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    past_the_end = SpreadOutlook(end, 1, 1, 2, end + timedelta(days=1))
    in_time = SpreadOutlook(end, 24, 1, 2, end - timedelta(hours=1))
    with app.test_request_context("/"):
        late = render_template("organisers/_spread.html", spread=past_the_end)
        on_time = render_template("organisers/_spread.html", spread=in_time)
    assert "at most 1 letter a day" in late and "after the end" in late
    assert "at most 24 letters a day" in on_time and "after the end" not in on_time
