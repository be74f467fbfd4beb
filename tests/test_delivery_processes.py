"""Delivery's promises with real worker processes (`python worker.py`), real
PostgreSQL and Redis and the loopback SendGrid server: outcomes written at once,
the lease fence against paused workers, recovery from killed workers, workers that
cannot reach their services, and a 202 without a message id."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from redis import Redis

from campaign.core.extensions import db
from campaign.delivery import dispatch
from campaign.delivery.reconcile import return_expired_leases
from campaign.devtools.backlog import make_backlog
from campaign.models import Letter

from .delivery_support import (  # noqa: F401 - fixture
    ROOT,
    copies_by_letter,
    letter,
    sendgrid,
    sendgrid_settings,
    signal_worker,
    start_worker,
    states,
    stop_worker,
    wait_until,
    worker_env,
)

pytestmark = pytest.mark.slow


def expire_leases_now() -> int:
    """What the reconciler does once the leases have run out (the test moves the
    leases into the past instead of waiting for them)."""
    db.session.execute(
        db.update(Letter).where(Letter.state == "sending").values(lease_until=db.func.now())
    )
    db.session.commit()
    time.sleep(0.05)
    return return_expired_leases()


def test_an_accepted_letter_is_in_the_database_while_the_next_request_hangs(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    app = make_app(**sendgrid_settings(sendgrid))
    with app.app_context():
        backlog = make_backlog(2, 2)
        # The first letter is accepted; the next request hangs (3 s, past the timeout).
        sendgrid.script(["ok", "hang"])
        env = worker_env(_schema, redis_url, sendgrid.host, SENDGRID_TIMEOUT=2.5)
        worker = start_worker(env, tmp_path / "worker.log")
        dispatch.kick(2)
        try:
            (first,) = sendgrid.wait_for(1, timeout=30)
            first_id = int(first.custom_args["letter_id"])
            # Within the hang, the 202 is already written down, with its message id.
            wait_until(lambda: letter(first_id).state == "sent", 1.5, what="sent recorded")
            assert letter(first_id).provider_message_id == first.message_id
            assert sendgrid.stats["requests"] == 2  # the hanging request is still open
            # The worker dies inside the hang and Redis forgets everything (the send
            # journal too): the letter is not sent again.
            signal_worker(worker, signal.SIGKILL)
            worker.wait()
            Redis.from_url(redis_url).flushdb()
            expire_leases_now()
            worker = start_worker(env, tmp_path / "worker.log")
            dispatch.kick(2)
            wait_until(lambda: states() == {"sent": 2}, 30, what="both letters sent")
        finally:
            stop_worker(worker)
        assert copies_by_letter(sendgrid) == {i: 1 for i in backlog.letter_ids}


def test_a_worker_paused_past_its_lease_sends_nothing_when_it_wakes(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True))
    with app.app_context():
        # Two letters a second: a batch is two letters, the second half a second later.
        backlog = make_backlog(4, 4, domains=4, throttle_per_second=2)
        env = worker_env(
            _schema,
            redis_url,
            sendgrid.host,
            THROTTLE_ENABLED=1,
            SENDGRID_TIMEOUT=1,
            SENDING_LEASE_SECONDS=8,
        )
        paused = start_worker(env, tmp_path / "paused.log")
        dispatch.kick(4)
        other = None
        try:
            # Once the first letter is recorded, the worker holds the next and waits
            # for its slot (half a second): it is paused there.
            wait_until(lambda: states()["sent"] == 1, 30, interval=0.01, what="one sent")
            signal_worker(paused, signal.SIGSTOP)
            time.sleep(9)  # past its lease
            assert expire_leases_now() >= 1  # the reconciler hands its letters back
            other = start_worker(env, tmp_path / "other.log")
            dispatch.kick(4)
            wait_until(lambda: states() == {"sent": 4}, 40, what="the others sent")
            signal_worker(paused, signal.SIGCONT)
            time.sleep(3)  # the paused worker's planned letter would go now
        finally:
            stop_worker(paused)
            if other is not None:
                stop_worker(other)
        assert copies_by_letter(sendgrid) == {i: 1 for i in backlog.letter_ids}
        assert "lease ran out before its request" in (tmp_path / "paused.log").read_text()


def test_a_killed_workers_dispatch_chain_runs_again_within_seconds(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True))
    with app.app_context():
        backlog = make_backlog(30, 30, domains=30, throttle_per_second=3)
        env = worker_env(
            _schema, redis_url, sendgrid.host, THROTTLE_ENABLED=1, SENDING_LEASE_SECONDS=10
        )
        worker = start_worker(env, tmp_path / "worker.log")
        dispatch.kick(30)
        try:
            wait_until(lambda: states()["sent"] >= 3, 30, what="three sent")
            signal_worker(worker, signal.SIGKILL)
            worker.wait()
            killed_at, before = time.monotonic(), len(sendgrid.messages)
            # A new worker (a supervisor's restart); no reconciler runs here.
            worker = start_worker(env, tmp_path / "worker.log")
            sendgrid.wait_for(before + 1, timeout=10)
            recovered = time.monotonic() - killed_at
            wait_until(lambda: states() == {"sent": 30}, 60, what="all sent")
        finally:
            stop_worker(worker)
        assert recovered < 10
        assert copies_by_letter(sendgrid) == {i: 1 for i in backlog.letter_ids}


@pytest.mark.parametrize("role", ["worker", "clock"])
@pytest.mark.parametrize("service", ["PostgreSQL", "Redis"])
def test_a_process_that_cannot_reach_its_services_exits_with_one_line(
    service, role, _schema, redis_url, tmp_path
):
    unreachable = {
        "PostgreSQL": {"DATABASE_URL": "postgresql://campaign:s3cret@127.0.0.1:1/campaign"},
        "Redis": {"REDIS_URL": "redis://:s3cret@127.0.0.1:1/0"},
    }[service]
    env = worker_env(_schema, redis_url, "http://127.0.0.1:9", WORKER_CONNECT_RETRY_SECONDS=2)
    env.update(unreachable)
    args = ["--clock"] if role == "clock" else []
    result = subprocess.run(
        [sys.executable, str(ROOT / "worker.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert lines == [f"{role}: {service} unreachable for 2 s (" + lines[0].split("(", 1)[1]]
    assert "127.0.0.1" not in result.stderr and "s3cret" not in result.stderr


def test_a_202_without_a_message_id_is_recorded_logged_and_shown(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    from .organisers_support import log_in_as

    app = make_app(**sendgrid_settings(sendgrid))
    with app.app_context():
        backlog = make_backlog(1, 1)
        (letter_id,) = backlog.letter_ids
        sendgrid.script(["no-id"])
        worker = start_worker(worker_env(_schema, redis_url, sendgrid.host), tmp_path / "w.log")
        dispatch.kick(1)
        try:
            wait_until(lambda: states() == {"sent": 1}, 30, what="sent")
        finally:
            stop_worker(worker)
        sent = letter(letter_id)
        assert sent.provider_message_id is None
        assert "without a message id" in sent.events[-1].cause
        assert (
            f"letter {letter_id}: accepted by the mail provider without a message id"
            in (tmp_path / "w.log").read_text()
        )
        assert copies_by_letter(sendgrid) == {letter_id: 1}
        client = app.test_client()
        log_in_as(client, "staff")
        page = client.get(f"/staff/letters/{letter_id}").get_data(as_text=True)
        assert "none: the mail provider accepted the letter without one" in page
        assert "without a message id (no X-Message-Id in its answer)" in page


def test_after_a_restore_letters_the_provider_accepted_are_not_sent_again(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    from campaign.tracking import events

    if not _schema.startswith("postgresql"):
        pytest.skip("the drill restores a PostgreSQL backup")
    libpq_url = _schema.replace("postgresql+psycopg://", "postgresql://")
    app = make_app(**sendgrid_settings(sendgrid))
    env = worker_env(_schema, redis_url, sendgrid.host)
    with app.app_context():
        backlog = make_backlog(4, 4, domains=4)
        one, two, three, four = backlog.letter_ids
        # The backup is taken while the four letters are queued...
        backup = tmp_path / "backup.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(backup), libpq_url], check=True)
        # ...then they are sent.
        worker = start_worker(env, tmp_path / "worker.log")
        dispatch.kick(4)
        try:
            wait_until(lambda: states() == {"sent": 4}, 30, what="all sent")
        finally:
            stop_worker(worker)
        message_of = {i: letter(i).provider_message_id for i in backlog.letter_ids}
        # Redis lost the journal of letters 3 and 4; PostgreSQL is restored.
        Redis.from_url(redis_url).delete(f"campaign:sent:{three}", f"campaign:sent:{four}")
        db.session.remove()
        db.engine.dispose()
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "-d", libpq_url, str(backup)],
            check=True,
            capture_output=True,
        )
        assert states() == {"queued": 4}
        # SendGrid's delivery event for letter 3 arrives (by its letter_id).
        events.record_events(
            [
                {
                    "event": "delivered",
                    "letter_id": str(three),
                    "sg_message_id": f"{message_of[three]}.filter0001",
                    "sg_event_id": "restore-drill-1",
                    "email": letter(three).representative.email,
                    "timestamp": int(time.time()),
                }
            ]
        )
        # The restore mode, before the workers start.
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "letters", "after-restore"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == (
            "checked 4 queued or sending letters: 3 recorded as sent (2 from the send "
            "journal, 1 from SendGrid's delivery events); the others will be sent"
        )
        for letter_id in (one, two, three):
            assert letter(letter_id).state == "sent"
            assert letter(letter_id).provider_message_id == message_of[letter_id]
        # The workers start: only letter 4, which nothing recorded, goes again.
        worker = start_worker(env, tmp_path / "worker.log")
        dispatch.kick(1)
        try:
            wait_until(lambda: states() == {"sent": 4}, 30, what="letter 4 sent")
            time.sleep(1)
        finally:
            stop_worker(worker)
        assert copies_by_letter(sendgrid) == {one: 1, two: 1, three: 1, four: 2}
