"""When the workers cannot keep up with the configured rate, `flask letters status`
and the staff queue page say so, and what to do: more worker processes or more
requests in flight each (SENDGRID_CONCURRENCY). Measured from the letters the
database records as sent, in this process and with real worker processes against
a loopback SendGrid server that answers after a distant API's round trip."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import bindparam

from campaign.core.extensions import db
from campaign.delivery import dispatch
from campaign.delivery.sending_rate import sending_rate
from campaign.devtools.backlog import make_backlog
from campaign.devtools.sendgrid_server import SendGridLoopback
from campaign.models import Letter
from campaign.models.base import utcnow

from . import procfile
from .delivery_support import API_KEY, sendgrid, sendgrid_settings  # noqa: F401 - fixtures
from .organisers_support import log_in_as

ADVICE = "Add workers or raise SENDGRID_CONCURRENCY."


def sent_over_last(seconds: int, per_second: int, letters: list[int]) -> None:
    """Record ``letters`` as sent, evenly over the last ``seconds``."""
    start = utcnow() - timedelta(seconds=seconds)
    table = Letter.__table__
    db.session.execute(
        table.update()
        .where(table.c.id == bindparam("b_id"))
        .values(state="sent", sent_at=bindparam("b_at")),
        [
            {"b_id": letter_id, "b_at": start + timedelta(seconds=i / per_second)}
            for i, letter_id in enumerate(letters)
        ],
    )
    db.session.commit()


def status(app) -> tuple[dict, str]:
    result = app.test_cli_runner().invoke(args=["letters", "status"])
    assert result.exit_code == 0
    return dict(line.split() for line in result.stdout.splitlines()), result.stderr


@pytest.fixture
def throttled_app(make_app, sendgrid):
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True))
    with app.app_context():
        yield app


def test_status_says_when_sending_falls_short_of_the_rate_while_letters_are_due(throttled_app):
    backlog = make_backlog(200, 20, throttle_per_second=50)
    sent_over_last(20, 5, backlog.letter_ids[:100])  # 5 a second; 100 still due
    lines, said = status(throttled_app)
    # 100 letters since 20 s ago (a little more by the time it is read): 5/s or just under.
    assert lines["rate"] == "short" and lines["sending_rate"] in ("5.0/s", "4.9/s")
    assert said.strip() == f"Sending is slower than the configured rate: 5/s of 50/s. {ADVICE}"
    client = throttled_app.test_client()
    log_in_as(client, "staff")
    page = client.get("/staff/queues").get_data(as_text=True)
    assert "Sending is slower than the configured rate: 5/s of 50/s." in page
    assert "Add workers or raise SENDGRID_CONCURRENCY." in page
    german = client.get("/staff/queues?lang=de").get_data(as_text=True)
    assert "5/s" in german and "SENDGRID_CONCURRENCY" in german
    assert "Sending is slower" not in german


def test_a_rate_kept_or_nothing_due_or_no_throttle_is_not_short(throttled_app):
    backlog = make_backlog(1000, 50, throttle_per_second=50)
    sent_over_last(10, 48, backlog.letter_ids[:480])  # the throttle's own pace
    lines, said = status(throttled_app)
    assert lines["rate"] == "ok" and said == ""
    # Slow, but nothing left to send: nothing to add workers for.
    db.session.execute(db.update(Letter).where(Letter.state == "queued").values(state="cancelled"))
    db.session.commit()
    assert not sending_rate().short
    throttled_app.config["THROTTLE_ENABLED"] = False
    assert sending_rate().configured is None


@pytest.mark.slow
def test_a_worker_with_one_request_in_flight_is_told_to_raise_concurrency(
    make_app, _schema, redis_url, tmp_path
):
    """One worker process, one request at a time, 150 ms a request: about 6 letters a
    second of the 20 allowed. With 12 in flight the same worker keeps the rate."""
    server = SendGridLoopback(api_key=API_KEY, latency=0.15).start()
    app = make_app(**sendgrid_settings(server, THROTTLE_ENABLED=True, SENDGRID_TIMEOUT=2))
    processes = []
    try:
        with app.app_context():
            make_backlog(
                2000,
                200,
                domains=20,
                throttle_per_second=20,
                throttle_rep_per_hour=1000,
                throttle_domain_per_minute=100000,
            )
            for concurrency, expect_short in ((1, True), (12, False)):
                env = procfile.environment(
                    _schema,
                    redis_url,
                    server.host,
                    THROTTLE_ENABLED="true",
                    SENDGRID_CONCURRENCY=concurrency,
                    DISPATCH_CONCURRENCY=1,
                )
                log = tmp_path / f"worker-{concurrency}.log"
                processes = [procfile.start("worker", env, log)]
                dispatch.kick(100)
                time.sleep(12)
                rate = sending_rate(window=8)
                lines, said = status(app)
                procfile.stop(processes)
                assert "Traceback" not in log.read_text(), log.read_text()
                assert rate.due and rate.configured == 20
                if expect_short:
                    assert rate.short and rate.measured < 8
                    assert lines["rate"] == "short"
                    assert said.startswith("Sending is slower than the configured rate: ")
                    assert said.strip().endswith(ADVICE)
                else:
                    assert not rate.short and rate.measured > 15, rate
    finally:
        procfile.stop(processes)
        server.stop()
