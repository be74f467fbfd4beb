"""The report is true while the product runs as the Procfile runs it: web
(gunicorn), worker and clock as separate processes, letters sent by the worker
through the loopback SendGrid server. The staff page, the rollups and
`report responses` equal a count over the raw tables."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from campaign.core.extensions import db
from campaign.delivery import dispatch
from campaign.devtools.backlog import make_backlog
from campaign.models import ResponseSummary

from . import procfile
from .conftest import ROOT
from .delivery_support import sendgrid, sendgrid_settings  # noqa: F401 - fixture
from .test_auth import PASSWORD, make_user


def figure(page: str, name: str) -> int:
    match = re.search(rf'id="total-{name}"[^>]*>([^<]+)<', page)
    assert match, f"no {name} figure on the page"
    return int(match.group(1).replace(",", "").strip())


def raw_sent() -> int:
    db.session.rollback()
    return db.session.execute(
        text("SELECT count(*) FROM letter WHERE sent_at IS NOT NULL")
    ).scalar_one()


def summed_sent() -> int:
    """Letters sent, as the rollups the reports read say."""
    db.session.rollback()
    return db.session.execute(select(func.sum(ResponseSummary.sent))).scalar() or 0


def send_through_the_worker(backlog, sendgrid, total: int) -> None:
    """Wake the worker process for the backlog; wait until SendGrid has ``total``
    letters and the database says they were sent."""
    dispatch.kick(len(backlog.letter_ids))
    sendgrid.wait_for(total, timeout=60)
    deadline = time.monotonic() + 30
    while raw_sent() < total and time.monotonic() < deadline:
        time.sleep(0.2)
    assert raw_sent() == total


@pytest.mark.slow
def test_letters_the_worker_sends_are_on_the_staff_page_at_once(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    app = make_app(**sendgrid_settings(sendgrid))
    env = procfile.environment(
        _schema, redis_url, sendgrid.host, PORT=procfile.free_port(), WEB_CONCURRENCY=1
    )
    with app.app_context():
        make_user("staff@example.org", "staff")
        logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker", "clock")}
        processes = [procfile.start(name, env, log) for name, log in logs.items()]
        try:
            person = procfile.Browser(f"http://127.0.0.1:{env['PORT']}")
            person.wait_until_up(processes[0], logs["web"])
            person.login("staff@example.org", PASSWORD)
            assert figure(person.get("/staff/reports"), "sent") == 0

            send_through_the_worker(make_backlog(9, 3), sendgrid, 9)
            # The next request after the worker's commit.
            page = person.get("/staff/reports")
            assert figure(page, "sent") == raw_sent() == 9
            assert summed_sent() == 9

            # More letters, and nobody looks: the clock brings the rollups up by
            # itself (refresh_response_rollups runs every minute).
            send_through_the_worker(
                make_backlog(4, 2, campaign_slug="second", tag="2"), sendgrid, 13
            )
            deadline = time.monotonic() + 75
            while summed_sent() != 13 and time.monotonic() < deadline:
                time.sleep(1)
            assert summed_sent() == raw_sent() == 13
            command = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", "report", "responses"]
                + ["--by", "campaign", "--format", "json"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert command.returncode == 0, command.stderr
            rows = {row["key"]: row for row in json.loads(command.stdout)}
            assert {key: row["sent"] for key, row in rows.items()} == {"backlog": 9, "second": 4}
            assert sum(row["sent"] for row in rows.values()) == raw_sent() == 13
            assert figure(person.get("/staff/reports"), "sent") == 13
            # Each letter counted arrived at SendGrid once.
            assert len(sendgrid.messages) == 13
        finally:
            procfile.stop(processes)
        # (The clock's own shutdown is RQ's business: only web and worker are read.)
        output = logs["web"].read_text() + logs["worker"].read_text()
        assert "Traceback" not in output, output
