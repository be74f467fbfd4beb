"""Throughput: LETTERS letters drained end to end — queued in the database, taken by
worker processes, sent through the sendgrid client to the loopback SendGrid server
(its own process, over HTTP), recorded as sent in the database — with the throttle
off; and, in the same run against the same server, a plain loop calling the sendgrid
client as many times in one process (a new connection per request, no queue, no
database). Prints letters per second for both and their ratio.

    .venv/bin/python bench/throughput.py [--letters 20000] [--workers 2] [--latency 0.15]
        [--concurrency 16]

``--latency`` makes the loopback server wait that long before every answer (a
distant API's round trip); the plain loop then measures a sample of 200 requests,
and the server's largest number of requests open at once is printed too.
``--concurrency`` is SENDGRID_CONCURRENCY, the requests each worker keeps in flight
(docs/operators/sending-rate.md).
"""

from __future__ import annotations

import argparse
import time

from _common import (
    SendGridServer,
    Workers,
    describe,
    make_app,
    services,
    settings,
    start_sending,
    state_counts,
    wait_settled,
)


def plain_loop(host: str, messages: list) -> float:
    """The sendgrid client as its README shows it, called in a loop; letters/s."""
    from _common import API_KEY
    from sendgrid import SendGridAPIClient

    from campaign.core.mail.sendgrid_backend import build_payload

    client = SendGridAPIClient(API_KEY, host=host)
    client.client.timeout = 10
    started = time.perf_counter()
    for message in messages:
        response = client.send(build_payload(message))
        assert response.status_code == 202
    return len(messages) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the loopback server waits per answer"
    )
    parser.add_argument("--letters", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--representatives", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
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
            THROTTLE_ENABLED=0,
            DISPATCH_CONCURRENCY=args.workers,
            SENDGRID_CONCURRENCY=args.concurrency,
            DISPATCH_BATCH_SIZE=args.batch,
        )
        app = make_app(env)
        from campaign.core.extensions import db
        from campaign.delivery import delivery, dispatch
        from campaign.devtools.backlog import make_backlog
        from campaign.models import Letter

        with app.app_context():
            backlog = make_backlog(
                args.letters, args.representatives, domains=20, sending_status="paused"
            )
            letters = db.session.execute(
                db.select(Letter)
                .options(db.joinedload(Letter.representative), db.joinedload(Letter.supporter))
                .where(Letter.id.in_(backlog.letter_ids))
            ).scalars()
            messages = [delivery.letter_message(letter) for letter in letters]
            db.session.remove()

        print(f"throughput: {args.letters} letters, {args.workers} worker processes")
        print(f"  services: {describe(database_url, redis_url)}")
        print(f"  sending: SENDGRID_CONCURRENCY={args.concurrency} requests in flight per worker")
        with Workers(args.workers, env):
            time.sleep(2.0)  # let the workers start (imports, connections)
            started = time.perf_counter()
            with app.app_context():
                start_sending()
                dispatch.kick(args.letters)
            wait_settled(app, args.letters, timeout=1800, poll=0.1)
            pipeline_seconds = time.perf_counter() - started
        counts = state_counts(app)
        received = server.remote.stats()["accepted"]
        most_open = server.remote.stats()["max_open"]
        pipeline_rate = args.letters / pipeline_seconds
        server.remote.clear()
        # Against a slow server the loop's rate is set by the latency alone: a sample
        # of 200 requests measures it as well as all of them, in a fraction of the time.
        plain_rate = plain_loop(server.host, messages[:200] if args.latency else messages)
        print(
            f"  pipeline:   {pipeline_rate:8.0f} letters/s ({pipeline_seconds:.1f} s; "
            f"sent {counts.get('sent', 0)}, server accepted {received})"
        )
        print(f"  plain loop: {plain_rate:8.0f} letters/s")
        print(f"  ratio:      {pipeline_rate / plain_rate:8.2f}")
        if args.latency:
            print(
                f"  server latency {args.latency:g} s; largest number of requests open: {most_open}"
            )


if __name__ == "__main__":
    main()
