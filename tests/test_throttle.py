"""The throttle against the test Redis: the global pace, the caps per representative,
the rate per domain, holds after a 429, counts rebuilt from the database after Redis
lost them; and the sending window in the recipient's local time."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import time as time_module
from datetime import UTC, datetime, time, timedelta

import pytest

from campaign.core.extensions import db
from campaign.delivery import dispatch
from campaign.delivery.send_window import next_opening
from campaign.delivery.throttle import HEADROOM, HORIZON, Limits, Request, Throttle
from campaign.devtools.backlog import make_backlog
from campaign.models import Letter
from campaign.models.base import utcnow

from .delivery_support import (  # noqa: F401 - fixtures
    dispatch_all,
    letter,
    sendgrid,
    sendgrid_settings,
    states,
)

LIMITS = Limits(per_second=10, rep_per_hour=1000, rep_per_day=10000, domain_per_minute=10000)


@pytest.fixture
def throttle(make_app):
    app = make_app(THROTTLE_REBUILD_SETTLE_SECONDS=0)
    with app.app_context():
        yield dispatch.get_throttle()


def requests(n, rep=1, domain="example.org", limits=LIMITS, start=0):
    return [Request(str(start + i), rep, domain, limits) for i in range(n)]


def test_the_global_rate_is_planned_and_paced_evenly(throttle):
    interval = 1 / (10 * HEADROOM)
    started = time_module.monotonic()
    result = throttle.reserve(requests(20, rep=1))
    # Planned up to a horizon ahead; the rest is not even looked at.
    planned = list(result.granted.values())
    assert len(planned) == int(HORIZON / interval) + 1 and result.examined == len(planned)
    assert planned[0] < 0.01
    for before, after in zip(planned, planned[1:], strict=False):
        assert after - before == pytest.approx(interval, abs=1e-3)
    # Another worker comes back when half a horizon is left. The waits count from
    # Redis's clock at each call: however long this machine paused between the two
    # calls, Redis's clock moved no further than ours did around them.
    again = throttle.reserve(requests(1, start=100))
    between = time_module.monotonic() - started
    assert again.granted == {}
    expected = planned[-1] + interval - HORIZON / 2
    assert expected - between - 0.01 <= again.global_wait <= expected + 0.01
    # The slots themselves keep the spacing, whoever asks first.
    slots = []
    for request in requests(3):
        asked = time_module.monotonic()
        wait = throttle.slot(request)[1]
        slots.append((asked + wait, time_module.monotonic() - asked))
    for (first, took_first), (second, took_second) in zip(slots, slots[1:], strict=False):
        assert second - first == pytest.approx(interval, abs=2e-3 + took_first + took_second)


def test_a_slot_further_than_the_longest_wait_is_refused(throttle):
    throttle.hold(10)
    go, wait = throttle.slot(requests(1)[0])
    assert not go and 9.9 < wait <= 10


def test_caps_per_representative_per_hour_and_per_day(throttle):
    hourly = Limits(per_second=1000, rep_per_hour=3, rep_per_day=100, domain_per_minute=1000)
    result = throttle.reserve(requests(5, rep=7, limits=hourly))
    assert list(result.granted) == ["0", "1", "2"]
    assert [why for _, why in result.deferred.values()] == ["cap", "cap"]
    assert all(3599 < wait < 3601 for wait, _ in result.deferred.values())
    other = throttle.reserve(requests(1, rep=8, limits=hourly, start=10))
    assert list(other.granted) == ["10"]  # another representative is not held back
    daily = Limits(per_second=1000, rep_per_hour=100, rep_per_day=4, domain_per_minute=1000)
    result = throttle.reserve(requests(2, rep=7, limits=daily, start=20))
    assert list(result.granted) == ["20"]
    assert 86399 < result.deferred["21"][0] < 86401
    assert throttle.representative_counts(7, daily) == (4, 4)


def test_rate_per_domain(throttle):
    limits = Limits(per_second=1000, rep_per_hour=100, rep_per_day=100, domain_per_minute=2)
    result = throttle.reserve(
        [Request(str(i), i, "bundestag.example.org", limits) for i in range(4)]
        + [Request("9", 9, "other.example.org", limits)]
    )
    assert list(result.granted) == ["0", "1", "9"]
    assert {k: why for k, (_, why) in result.deferred.items()} == {"2": "domain", "3": "domain"}


def test_refund_gives_back_a_representatives_place(throttle):
    hourly = Limits(per_second=1000, rep_per_hour=1, rep_per_day=100, domain_per_minute=1000)
    first = requests(1, rep=3, limits=hourly)
    assert throttle.reserve(first).granted
    throttle.refund(first)
    assert throttle.reserve(requests(1, rep=3, limits=hourly, start=5)).granted


def test_hold_stops_everyone_until_the_reset(throttle):
    throttle.hold(5)
    result = throttle.reserve(requests(1))
    assert result.granted == {}
    assert 5 - HORIZON / 2 - 0.1 < result.global_wait <= 5 - HORIZON / 2


def test_caps_are_rebuilt_from_the_database_after_redis_lost_them(throttle):
    backlog = make_backlog(3, 1)
    rep = backlog.representative_ids[0]
    sent_at = utcnow() - timedelta(minutes=10)
    db.session.execute(
        db.update(Letter)
        .where(Letter.id.in_(backlog.letter_ids[:2]))
        .values(state="sent", sent_at=sent_at)
    )
    db.session.execute(
        db.update(Letter).where(Letter.id == backlog.letter_ids[2]).values(state="sending")
    )
    db.session.commit()
    throttle.redis.flushdb()
    hourly = Limits(per_second=1000, rep_per_hour=3, rep_per_day=100, domain_per_minute=1000)
    result = throttle.reserve(requests(1, rep=rep, limits=hourly, start=100))
    assert result.granted == {}
    wait, why = result.deferred["100"]
    assert why == "cap" and 2998 < wait < 3001  # the oldest leaves the hour in 50 minutes
    assert throttle.redis.exists("campaign:throttle:epoch")


def test_counts_are_rebuilt_once_while_others_wait(throttle):
    throttle.redis.set("campaign:throttle:rebuild", "someone else", ex=30)
    result = throttle.reserve(requests(1))
    assert result.granted == {} and result.global_wait is not None
    throttle.redis.delete("campaign:throttle:rebuild")
    assert throttle.reserve(requests(1, start=1)).granted


def test_flushing_redis_in_the_middle_of_a_run_never_lets_a_cap_be_exceeded(make_app, sendgrid):
    # A request's timeout well above a loaded machine's pauses: a timeout would put
    # a letter back for a retry and change the count this test is about.
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True, SENDGRID_TIMEOUT=5))
    with app.app_context():
        make_backlog(12, 2, throttle_per_second=200, throttle_rep_per_hour=4)
        dispatch_all()
        assert states() == {"sent": 8, "queued": 4}
        dispatch.get_throttle().redis.flushdb()
        db.session.execute(
            db.update(Letter).where(Letter.state == "queued").values(next_attempt_at=utcnow())
        )
        db.session.commit()
        counts = dispatch_all()
        assert counts["deferred"] == 4 and counts.get("sent", 0) == 0
        assert len(sendgrid.messages) == 8
        waiting = db.session.execute(db.select(Letter).where(Letter.state == "queued")).scalars()
        assert all(w.next_attempt_at > utcnow() + timedelta(minutes=55) for w in waiting)


def test_deferred_letters_are_spread_with_jitter(make_app, sendgrid):
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True, THROTTLE_JITTER_SECONDS=30))
    with app.app_context():
        backlog = make_backlog(12, 1, throttle_per_second=200, throttle_rep_per_hour=2)
        dispatch_all()
        times = sorted(
            letter(i).next_attempt_at for i in backlog.letter_ids if letter(i).state == "queued"
        )
        assert len(times) == 10
        spread = (times[-1] - times[0]).total_seconds()
        assert 1 < spread <= 30.5


def test_a_throttle_on_another_connection_sees_the_same_state(throttle, redis_url):
    from redis import Redis

    other = Throttle(Redis.from_url(redis_url))
    try:
        hourly = Limits(per_second=1000, rep_per_hour=1, rep_per_day=100, domain_per_minute=1000)
        assert throttle.reserve(requests(1, rep=4, limits=hourly)).granted
        assert not other.reserve(requests(1, rep=4, limits=hourly, start=1)).granted
    finally:
        other.redis.close()


# -- the sending window ---------------------------------------------------------------

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "now, country, expected",
    [
        # Berlin is UTC+1 in March: 08:00 local is 07:00 UTC.
        (MONDAY.replace(hour=6), "DE", MONDAY.replace(hour=7)),
        (MONDAY.replace(hour=12), "DE", MONDAY.replace(hour=12)),
        # 20:00 in Berlin is past; Tuesday 08:00 local.
        (MONDAY.replace(hour=19, minute=30), "DE", MONDAY.replace(hour=7) + timedelta(days=1)),
        # Friday evening to Monday morning.
        (
            MONDAY.replace(hour=19) + timedelta(days=4),
            "DE",
            MONDAY.replace(hour=7) + timedelta(days=7),
        ),
        # Saturday noon in Lisbon (UTC+0) to Monday 08:00.
        (
            MONDAY.replace(hour=12) + timedelta(days=5),
            "PT",
            MONDAY.replace(hour=8) + timedelta(days=7),
        ),
        # Vilnius is UTC+2: 06:30 UTC is 08:30 there, open.
        (MONDAY.replace(hour=6, minute=30), "LT", MONDAY.replace(hour=6, minute=30)),
    ],
)
def test_next_opening_in_local_time(now, country, expected):
    assert next_opening(now, country, time(8), time(20), weekdays_only=True) == expected


def test_windows_over_midnight_and_without_hours():
    late = MONDAY.replace(hour=21)  # 22:00 in Berlin
    assert next_opening(late, "DE", time(22), time(6)) == late
    assert next_opening(MONDAY.replace(hour=12), "DE", time(22), time(6)) == MONDAY.replace(hour=21)
    saturday = MONDAY + timedelta(days=5)
    assert next_opening(saturday, "DE", None, None, weekdays_only=True) == MONDAY.replace(
        hour=0
    ) + timedelta(days=6, hours=23)
    assert next_opening(saturday, "XX", None, None) == saturday  # unknown country: UTC


def test_new_campaigns_take_the_throttle_defaults_from_the_settings(make_app):
    from campaign.models import Campaign

    app = make_app(
        THROTTLE_PER_SECOND=12.5,
        THROTTLE_REP_PER_HOUR=7,
        THROTTLE_REP_PER_DAY=70,
        THROTTLE_DOMAIN_PER_MINUTE=33,
    )
    with app.app_context():
        campaign = Campaign(slug="defaults", title="Defaults")
        db.session.add(campaign)
        db.session.commit()
        assert (
            campaign.throttle_per_second,
            campaign.throttle_rep_per_hour,
            campaign.throttle_rep_per_day,
            campaign.throttle_domain_per_minute,
        ) == (12.5, 7, 70, 33)
