"""Is delivery working? `flask letters status`, /healthz and the staff queue page say
when letters are due and no worker takes them, and count letters sent twice; a
database that cannot be reached is never taken for a write race."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from campaign.core.extensions import db
from campaign.delivery import delivery, dispatch, outcomes
from campaign.devtools.backlog import make_backlog
from campaign.models import Letter
from campaign.models.base import utcnow

from .delivery_support import letter, sendgrid, sendgrid_settings, sg_app  # noqa: F401 - fixtures
from .organisers_support import log_in_as


def due_since(minutes: float) -> None:
    db.session.execute(
        db.update(Letter).values(next_attempt_at=utcnow() - timedelta(minutes=minutes))
    )
    db.session.commit()


def test_status_and_healthz_say_when_due_letters_are_not_taken(sg_app):
    make_backlog(3, 3)
    due_since(10)  # due for ten minutes, and no worker took any
    status = sg_app.test_cli_runner().invoke(args=["letters", "status"])
    assert status.exit_code == 0
    lines = dict(line.split() for line in status.output.splitlines())
    assert lines["dispatch"] == "stalled" and lines["last_taken"] == "never"
    health = sg_app.test_client().get("/healthz")
    assert health.status_code == 200  # the site itself works: keep it in the balancer
    assert health.get_json()["dispatch"] == "stalled"
    # A worker takes a letter: no longer stalled.
    delivery.take_letters([1])
    db.session.commit()
    status = sg_app.test_cli_runner().invoke(args=["letters", "status"])
    lines = dict(line.split() for line in status.output.splitlines())
    assert lines["dispatch"] == "ok" and lines["last_taken"].endswith("s_ago")
    assert sg_app.test_client().get("/healthz").get_json()["dispatch"] == "ok"


def test_letters_due_only_a_moment_are_not_a_stall(sg_app):
    make_backlog(3, 3)
    status = sg_app.test_cli_runner().invoke(args=["letters", "status"])
    assert dict(line.split() for line in status.output.splitlines())["dispatch"] == "ok"


def test_the_staff_queue_page_says_when_sending_stalled_and_counts_duplicates(sg_app):
    backlog = make_backlog(2, 2)
    a, b = backlog.letter_ids
    due_since(10)
    client = sg_app.test_client()
    log_in_as(client, "staff")
    page = client.get("/staff/queues").get_data(as_text=True)
    assert "Sending has stopped:" in page and '<span id="duplicates">0</span>' in page
    taken = delivery.take_letters([a])
    db.session.commit()
    outcomes.record([outcomes.Outcome(a, taken[a], "sent", message_id="first")])
    outcomes.record([outcomes.Outcome(a, taken[a], "sent", message_id="second")])
    page = client.get("/staff/queues").get_data(as_text=True)
    assert "Sending has stopped:" not in page
    assert '<span id="duplicates">1</span>' in page
    status = sg_app.test_cli_runner().invoke(args=["letters", "status"])
    assert dict(line.split() for line in status.output.splitlines())["sent_twice"] == "1"
    assert letter(b).state == "queued"


def test_an_unreachable_database_in_dispatch_is_an_error_not_a_write_race(make_app, sendgrid):
    app = make_app(
        **sendgrid_settings(sendgrid),
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    with app.app_context(), pytest.raises(OperationalError):
        dispatch.dispatch_pass(10)
