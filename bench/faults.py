"""Faults: LETTERS letters through WORKERS worker processes while everything goes
wrong. The loopback SendGrid server answers 30% of requests with 429, 500, 503, a
hang past the client's timeout or a reset connection, and refuses 5% of the
recipients for good (400); a worker is killed with SIGKILL every few seconds (and
replaced); Redis is emptied once during the drain. The reconciler runs every two
seconds here (the clock runs it every minute in production); leases are short.

Prints letters sent, failed, lost (must be 0: a letter neither sent — with SendGrid
holding it — nor failed with a reason) and sent twice (must be 0 outside the window
README "Exactly once" documents: a worker killed after SendGrid accepted a letter
and before the acceptance was written down).

    .venv/bin/python bench/faults.py [--letters 3000] [--workers 3]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter, defaultdict

from _common import SendGridServer, Workers, describe, make_app, services, settings, state_counts
from redis import Redis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--representatives", type=int, default=300)
    parser.add_argument("--kill-every", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    server_args = [
        "--fault-rate",
        "0.3",
        "--permanent-rate",
        "0.05",
        "--hang-seconds",
        "3",
        "--retry-after",
        "1",
        "--seed",
        str(args.seed),
    ]
    with services() as (database_url, redis_url), SendGridServer(*server_args) as server:
        env = settings(
            database_url,
            redis_url,
            server.host,
            THROTTLE_ENABLED=1,
            THROTTLE_PER_SECOND=200,
            SENDGRID_TIMEOUT=1,
            SENDING_LEASE_SECONDS=10,
            SEND_RETRY_BASE_SECONDS=0.5,
            SEND_RETRY_MAX_SECONDS=4,
            MAX_SEND_ATTEMPTS=10,
            DISPATCH_CONCURRENCY=args.workers * 2,
            DISPATCH_BATCH_SIZE=20,
            DISPATCH_JOB_SECONDS=2,
        )
        app = make_app(env)
        from campaign.devtools.backlog import make_backlog
        from campaign.extensions import db
        from campaign.models import Letter, LetterEvent
        from campaign.services import dispatch
        from campaign.services.reconcile import reconcile

        with app.app_context():
            make_backlog(
                args.letters,
                args.representatives,
                domains=30,
                throttle_per_second=200,
                throttle_rep_per_hour=10000,
                throttle_rep_per_day=10000,
                throttle_domain_per_minute=100000,
            )
            db.session.remove()

        print(
            f"faults: {args.letters} letters, {args.workers} worker processes, "
            f"30% faults, 5% refused for good, SIGKILL every {args.kill_every:g} s, "
            "Redis emptied once"
        )
        print(f"  services: {describe(database_url, redis_url)}")
        kills = 0
        flushed_at = None
        started = time.monotonic()
        with Workers(args.workers, env) as workers:
            time.sleep(2.0)
            with app.app_context():
                dispatch.kick(args.letters)
                next_kill = time.monotonic() + args.kill_every
                next_reconcile = time.monotonic() + 2
                while True:
                    counts = state_counts(app)
                    settled = counts.get("sent", 0) + counts.get("failed", 0)
                    if counts.get("queued", 0) + counts.get("sending", 0) == 0:
                        break
                    if time.monotonic() - started > 900:
                        raise SystemExit(f"not settled after 900 s: {counts}")
                    now = time.monotonic()
                    if flushed_at is None and settled >= args.letters * 0.4:
                        Redis.from_url(redis_url).flushdb()
                        flushed_at = now - started
                    if now >= next_kill:
                        workers.kill(rng.randrange(args.workers))
                        kills += 1
                        next_kill = now + args.kill_every
                    if now >= next_reconcile:
                        reconcile()
                        db.session.remove()
                        next_reconcile = now + 2
                    time.sleep(0.25)
        elapsed = time.monotonic() - started
        messages = server.remote.messages()
        stats = server.remote.stats()
        with app.app_context():
            letters = {
                letter.id: letter for letter in db.session.execute(db.select(Letter)).scalars()
            }
            lease_returns = Counter(
                db.session.execute(
                    db.select(LetterEvent.letter_id).where(
                        LetterEvent.cause.like("the lease expired%")
                    )
                ).scalars()
            )
            journaled = sum(
                1
                for letter in letters.values()
                if any("send journal" in e.cause for e in letter.events)
            )
            failed = Counter(
                "refused for good" if "permanently refused" in (x.last_error or "") else "gave up"
                for x in letters.values()
                if x.state == "failed"
            )

    copies = defaultdict(list)
    for mail in messages:
        copies[int(mail.custom_args["letter_id"])].append(mail)
    states = Counter(letter.state for letter in letters.values())
    stuck = [i for i, x in letters.items() if x.state in ("queued", "sending")]
    sent_but_never_received = [
        i for i, x in letters.items() if x.state == "sent" and i not in copies
    ]
    lost = len(stuck) + len(sent_but_never_received)
    twice = {i: c for i, c in copies.items() if len(c) > 1}
    # The documented window: the worker holding the letter was killed after SendGrid
    # accepted it and before the acceptance was written down; the lease then expired
    # and the reconciler handed it back.
    inside = {i for i in twice if lease_returns.get(i)}
    print(
        f"  drained in {elapsed:.0f} s; {kills} workers killed; Redis emptied at {flushed_at:.0f} s"
    )
    print(
        f"  server: {stats['requests']} requests, {stats['faults']} faults injected "
        f"({', '.join(f'{k[6:]}: {v}' for k, v in stats.items() if k.startswith('fault_'))}), "
        f"{stats['refused']} refused"
    )
    print(f"  letters sent:   {states['sent']}")
    reasons = ", ".join(f"{k}: {v}" for k, v in failed.items())
    print(f"  letters failed: {states['failed']} ({reasons})")
    print(f"  letters lost:   {lost}")
    print(
        f"  sent twice:     {len(twice)} ({len(inside)} inside the documented window, "
        f"{len(twice) - len(inside)} outside)"
    )
    print(f"  recorded from the send journal after a kill (not sent again): {journaled}")


if __name__ == "__main__":
    main()
