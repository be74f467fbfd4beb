"""With real worker processes (python worker.py, as the Procfile starts them) and
the loopback SendGrid server: once an address bounces, it receives nothing more
until staff mark it fixed; then the letters held for it go."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import time
from collections import Counter

import pytest

from campaign.core.extensions import db
from campaign.delivery import dispatch
from campaign.models import AddressFlag, Letter
from campaign.seed import seed_demo

from . import procfile
from . import tracking_helpers as th
from .address_holds_support import bounce, queue_letters
from .delivery_support import sendgrid, sendgrid_settings  # noqa: F401 - fixture
from .organisers_support import log_in_as, token_of
from .test_throttle_processes import start_workers


def _wait_for_states(letters, wanted: list[str], timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        states = [db.session.get(Letter, x.id).state for x in letters]
        if states == wanted or time.monotonic() > deadline:
            return states
        time.sleep(0.2)


@pytest.mark.slow
def test_a_flagged_address_receives_nothing_more_from_the_workers(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    private, public = th.keypair()
    app = make_app(**sendgrid_settings(sendgrid), SENDGRID_WEBHOOK_PUBLIC_KEY=public)
    with app.app_context():
        seed_demo()
        bad, good = th.reps_of("DE")[:2]
        client = app.test_client()
        processes = start_workers(_schema, redis_url, sendgrid.host, tmp_path)
        try:
            first = queue_letters([bad, good])
            dispatch.kick(2)
            sendgrid.wait_for(2, timeout=30)
            assert _wait_for_states(first, ["sent", "sent"]) == ["sent", "sent"]

            # SendGrid reports a hard bounce of the letter to `bad`.
            bounce(client, private, first[0])
            later = queue_letters([bad, good]) + queue_letters([bad, good])
            dispatch.kick(4)
            sendgrid.wait_for(4, timeout=30)
            wanted = ["held_address", "sent"] * 2
            assert _wait_for_states(later, wanted) == wanted
            time.sleep(1.5)  # nothing more arrives
            received = Counter(m.to[0] for m in sendgrid.messages)
            assert received == {bad.email: 1, good.email: 3}

            # Staff mark the address fixed: the held letters go, through the workers.
            log_in_as(client, "staff")
            token = token_of(client, "/staff/addresses")
            flag = db.session.execute(db.select(AddressFlag)).scalar_one()
            client.post(f"/staff/addresses/{flag.id}/resolve", data={"csrf_token": token})
            sendgrid.wait_for(6, timeout=30)
            assert _wait_for_states(later, ["sent"] * 4) == ["sent"] * 4
            received = Counter(m.to[0] for m in sendgrid.messages)
        finally:
            procfile.stop(processes)
        logs = "".join(p.read_text() for p in tmp_path.glob("worker-*.log"))
        assert "Traceback" not in logs, logs
        assert received == {bad.email: 3, good.email: 3}
