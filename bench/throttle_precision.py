"""Throttle precision: WORKERS worker processes share a global limit of RATE letters
per second and a cap per representative, through Redis.

Two campaigns share the global limit: "wide" (many representatives, loose caps)
keeps the global rate saturated; "hot" (few representatives, a tight cap: CAP letters
in any CAP_WINDOW seconds — the hourly cap with its window shortened from an hour
so that it rolls over several times in one run) keeps hitting its cap. The
measurement stops when "wide" is drained (the rest of "hot" is cancelled). Times are
those at which the loopback SendGrid server received each letter. Prints:

* the largest count in any sliding one-second window (must not exceed RATE);
* the mean rate while the global limit was the binding one (target >= 95% of RATE);
* the largest count for one representative in any CAP_WINDOW-second window (must not
  exceed CAP).

    .venv/bin/python bench/throttle_precision.py [--rate 50] [--workers 2] [--latency 0.15]
        [--concurrency 16]

``--latency`` makes the loopback server answer after a distant API's round trip;
``--concurrency`` is SENDGRID_CONCURRENCY (docs/operators/sending-rate.md).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from _common import (
    SendGridServer,
    Workers,
    describe,
    make_app,
    services,
    settings,
    sliding_max,
    start_sending,
    state_counts,
    wait_settled,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the loopback server waits per answer"
    )
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cap", type=int, default=3)
    parser.add_argument("--cap-window", type=int, default=20)
    parser.add_argument("--wide-representatives", type=int, default=150)
    parser.add_argument("--wide-letters", type=int, default=1800)
    parser.add_argument("--hot-representatives", type=int, default=10)
    parser.add_argument("--hot-letters", type=int, default=200)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="SENDGRID_CONCURRENCY: requests each worker keeps in flight",
    )
    args = parser.parse_args()

    with (
        services() as (database_url, redis_url),
        SendGridServer("--latency", str(args.latency)) as server,
    ):
        env = settings(
            database_url,
            redis_url,
            server.host,
            THROTTLE_ENABLED=1,
            THROTTLE_REP_HOUR_SECONDS=args.cap_window,
            DISPATCH_CONCURRENCY=args.workers,
            SENDGRID_CONCURRENCY=args.concurrency,
            DISPATCH_BATCH_SIZE=50,
            SENDGRID_TIMEOUT=5,
        )
        app = make_app(env)
        from campaign.core.extensions import db
        from campaign.delivery import dispatch, sending
        from campaign.devtools.backlog import make_backlog
        from campaign.models import Campaign, Letter

        loose = {"throttle_rep_per_hour": 100000, "throttle_rep_per_day": 100000}
        with app.app_context():
            wide = make_backlog(
                args.wide_letters,
                args.wide_representatives,
                domains=10,
                campaign_slug="wide",
                sending_status="paused",
                throttle_per_second=args.rate,
                throttle_domain_per_minute=100000,
                **loose,
            )
            hot = make_backlog(
                args.hot_letters,
                args.hot_representatives,
                domains=1,
                campaign_slug="hot",
                tag="h",
                sending_status="paused",
                throttle_per_second=args.rate,
                throttle_domain_per_minute=100000,
                throttle_rep_per_hour=args.cap,
                throttle_rep_per_day=100000,
            )
            db.session.remove()

        print(
            f"throttle precision: {args.workers} worker processes, global limit {args.rate:g}/s, "
            f"cap {args.cap} per {args.cap_window} s for {args.hot_representatives} representatives"
        )
        print(f"  services: {describe(database_url, redis_url)}")
        print(f"  sending: SENDGRID_CONCURRENCY={args.concurrency} requests in flight per worker")
        with Workers(args.workers, env):
            time.sleep(2.0)
            with app.app_context():
                start_sending()
                dispatch.kick(args.wide_letters + args.hot_letters)
                deadline = time.monotonic() + 600
                while True:
                    sent = db.session.execute(
                        db.select(db.func.count()).where(
                            Letter.campaign_id == wide.campaign_id, Letter.state == "sent"
                        )
                    ).scalar_one()
                    db.session.rollback()
                    if sent == args.wide_letters or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                sending.cancel(db.session.get(Campaign, hot.campaign_id))
                db.session.remove()
            wait_settled(app, 0, timeout=120)
        messages = server.remote.messages()
        counts = state_counts(app)

    by_campaign = defaultdict(list)
    per_rep = defaultdict(list)
    for mail in messages:
        at = mail.received_at.timestamp()
        to = mail.to[0]
        by_campaign["hot" if "h@" in to else "wide"].append(at)
        per_rep[to].append(at)
    times = sorted(at for group in by_campaign.values() for at in group)
    wide_end = max(by_campaign["wide"])
    saturated = [t for t in times if t <= wide_end]
    mean = (len(saturated) - 1) / (saturated[-1] - saturated[0])
    hot_reps = {to: ts for to, ts in per_rep.items() if "h@" in to}
    worst_hot = max(sliding_max(ts, args.cap_window) for ts in hot_reps.values())
    print(
        f"  letters received: {len(messages)} ({len(by_campaign['wide'])} wide, "
        f"{len(by_campaign['hot'])} hot); states: {dict(sorted(counts.items()))}"
    )
    print(f"  largest count in any 1 s window:   {sliding_max(times, 1.0)} (limit {args.rate:g})")
    print(
        f"  mean rate while saturated:         {mean:.1f}/s = {mean / args.rate:.1%} of the limit "
        f"over {saturated[-1] - saturated[0]:.1f} s"
    )
    print(
        f"  largest count for one representative in any {args.cap_window} s window: "
        f"{worst_hot} (cap {args.cap})"
    )


if __name__ == "__main__":
    main()
