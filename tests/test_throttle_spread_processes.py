"""Sending spread over the campaign with two worker processes (python worker.py)
sharing the test Redis: one representative's letters reach the loopback SendGrid
server evenly spaced until the campaign's end, each once."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from campaign.delivery import dispatch
from campaign.devtools.backlog import make_backlog
from campaign.models.base import utcnow

from .delivery_support import (  # noqa: F401 - fixture
    copies_by_letter,
    sendgrid,
    sendgrid_settings,
    start_worker,
    states,
    stop_worker,
    wait_until,
    worker_env,
)

LETTERS = 4
SECONDS_LEFT = 20.0


@pytest.mark.slow
def test_two_workers_space_one_representatives_letters_until_the_end(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True))
    with app.app_context():
        env = worker_env(
            _schema, redis_url, sendgrid.host, THROTTLE_ENABLED=1, DISPATCH_CONCURRENCY=2
        )
        workers = [start_worker(env, tmp_path / f"worker-{i}.log") for i in range(2)]
        try:
            time.sleep(3)  # both workers up before the clock starts
            ends = utcnow() + timedelta(seconds=SECONDS_LEFT)
            backlog = make_backlog(
                LETTERS,
                1,
                throttle_per_second=50,
                spread_until_close=True,
                spread_daily_ceiling=86400,  # at most one a second: the end sets the pace
                closes_at=ends.date(),
                spread_ends_at=ends,
            )
            dispatch.kick(LETTERS)
            wait_until(
                lambda: states() == {"sent": LETTERS}, SECONDS_LEFT + 15, what="all letters sent"
            )
            time.sleep(1)  # nothing more arrives
        finally:
            for worker in workers:
                stop_worker(worker)
        logs = "".join(p.read_text() for p in tmp_path.glob("worker-*.log"))
        assert "Traceback" not in logs, logs
        assert copies_by_letter(sendgrid) == {i: 1 for i in backlog.letter_ids}
        arrivals = sorted(m.received_at for m in sendgrid.messages)
        first = arrivals[0]
        expected = (ends - first).total_seconds() / LETTERS
        gaps = [(b - a).total_seconds() for a, b in zip(arrivals, arrivals[1:], strict=False)]
        print(f"expected gap {expected:.2f} s; gaps {[round(g, 2) for g in gaps]}")
        assert all(gap >= 0.8 * expected for gap in gaps), (expected, gaps)
        # Spread over the campaign, not sent at once, and all before the end.
        assert arrivals[-1] <= ends
        assert (arrivals[-1] - first).total_seconds() >= 0.8 * expected * (LETTERS - 1)
        # Both workers were there to take letters (the spread is Redis's, not a process's).
        assert len(workers) == 2
