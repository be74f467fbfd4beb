"""Run an RQ worker on the project's queues, with RQ's scheduler (delayed retries and
wake-ups of deferred letters), or with `--clock` the process that starts periodic work.

    python worker.py            # a worker
    python worker.py --burst    # drain the queues, then exit
    python worker.py --clock    # the periodic-work clock (one is enough; more are harmless)

Workers are RQ SimpleWorkers: jobs run in the worker process itself, so the app, its
database pool and its kept-open HTTP connection to SendGrid serve every job instead
of being rebuilt after a fork for each one. Run one worker process per core (or more
when most of the time is spent waiting on SendGrid); they share all their state
through PostgreSQL and Redis.

A worker or clock that cannot reach PostgreSQL or Redis keeps trying for
WORKER_CONNECT_RETRY_SECONDS (at start, and while it runs), then exits with status 3
and one line naming what it could not reach, so that a process supervisor notices.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from campaign import create_app
from campaign.core.config import ConfigError
from campaign.core.redaction import configure_logging

UNREACHABLE = 3


def give_up(role: str, what: str) -> None:
    """One line for the operator (no address, no password), then exit at once."""
    print(f"{role}: {what}; exiting", file=sys.stderr, flush=True)
    os._exit(UNREACHABLE)


def wait_for_services(app, role: str) -> None:
    """Reach PostgreSQL and Redis, retrying for WORKER_CONNECT_RETRY_SECONDS."""
    from sqlalchemy import text

    from campaign.core.extensions import db
    from campaign.core.queues import redis_connection
    from campaign.delivery.watchdog import which_service

    limit = app.config["WORKER_CONNECT_RETRY_SECONDS"]
    deadline = time.monotonic() + limit
    with app.app_context():
        while True:
            try:
                db.session.execute(text("SELECT 1"))
                db.session.remove()
                redis_connection().ping()
                return
            except Exception as exc:  # noqa: BLE001 - classified below
                db.session.remove()
                service = which_service(exc)
                if service is None:
                    raise
                if time.monotonic() >= deadline:
                    give_up(role, f"{service} unreachable for {limit:g} s ({type(exc).__name__})")
            time.sleep(1.0)


def run_worker(app, burst: bool, log_level: str) -> None:
    from campaign.core.queues import make_worker
    from campaign.delivery import watchdog

    if not burst:
        watchdog.start(app, lambda what: give_up("worker", what))
    with app.app_context():
        worker = make_worker()
        worker.work(with_scheduler=True, burst=burst, logging_level=log_level)


def run_clock(app) -> None:
    from rq.cron import CronScheduler

    from campaign.clock import run_periodic
    from campaign.core.queues import PERIODIC as PERIODIC_QUEUE
    from campaign.core.queues import redis_connection
    from campaign.periodic import PERIODIC

    with app.app_context():
        clock = CronScheduler(connection=redis_connection())
        for name, (_func, interval) in PERIODIC.items():
            # Several clocks may run: each periodic function takes a Redis lock.
            clock.register(run_periodic, PERIODIC_QUEUE, args=(name,), interval=interval, name=name)
        clock.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--clock", action="store_true", help="run the periodic-work clock")
    parser.add_argument(
        "--log-level", default="INFO", help="INFO logs every job; WARNING only problems"
    )
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    try:
        app = create_app()
    except ConfigError as exc:
        # A wrong setting is a sentence for the operator, not a traceback.
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    role = "clock" if args.clock else "worker"
    wait_for_services(app, role)
    if args.clock:
        run_clock(app)
    else:
        run_worker(app, args.burst, args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
