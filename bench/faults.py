"""Faults: the operator's drill. LETTERS letters through WORKERS worker processes and
one clock (`python worker.py --clock`, reconciling every minute as in production)
while everything goes wrong:

* the loopback SendGrid server answers 30% of requests with 429, 500, 503, a hang
  past the client's timeout or a reset connection, and refuses 5% of the recipients
  for good (400);
* phase 1: a worker is killed with SIGKILL every 5 s (and replaced, as a supervisor
  would), and Redis is emptied once, when 40% of the letters are settled;
* phase 2: PAUSE_LETTERS more letters while workers are paused (SIGSTOP) past their
  lease at random moments, and resumed (SIGCONT).

The same phase 1 runs first without kills, for the drain time to compare with.
Settings are production defaults except those printed. Everything is counted from
the loopback server's own record: letters accepted once, twice (each explained by a
kill or pause inside a measured window, or not), never (lost), failed by reason.

    .venv/bin/python bench/faults.py [--letters 3000] [--workers 3]   # make bench-faults
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    PYTHON,
    ROOT,
    SendGridServer,
    Workers,
    describe,
    make_app,
    services,
    settings,
    state_counts,
)
from redis import Redis

# What the drill changes from the production defaults (printed).
SETTINGS = {
    # 40 letters/s for the drill to finish in minutes (the default is 5/s).
    "THROTTLE_PER_SECOND": 40,
    # A hang costs the timeout: 2 s instead of 10 s keeps the run short.
    "SENDGRID_TIMEOUT": 2,
    # Phase 2 pauses workers past their lease: 15 s instead of 120 s.
    "SENDING_LEASE_SECONDS": 15,
    # Retries after 0.5 s × 2^n (at most 4 s), not 30 s × 2^n: the drill ends in minutes.
    "SEND_RETRY_BASE_SECONDS": 0.5,
    "SEND_RETRY_MAX_SECONDS": 4,
    "MAX_SEND_ATTEMPTS": 10,
    # The default, named so that the printed settings show it: each worker keeps up
    # to 8 requests in flight, and takes its next batch while they are.
    "SENDGRID_CONCURRENCY": 8,
}
SETTLE_TIMEOUT = 1200


@dataclass
class Run:
    drain: float = 0.0  # phase 1: from the first kick until nothing is queued or sending
    kills: list[float] = field(default_factory=list)  # wall-clock times
    pauses: list[tuple[float, float]] = field(default_factory=list)  # (stopped, resumed)
    flushed_at: float | None = None  # wall clock
    first_after_flush: float | None = None  # seconds from the flush to the next 202
    windows: dict[str, float] = field(default_factory=dict)  # largest measured, ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=3000)
    parser.add_argument("--pause-letters", type=int, default=600)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--representatives", type=int, default=300)
    parser.add_argument("--kill-every", type=float, default=5.0)
    parser.add_argument("--pause-every", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(
        f"faults: {args.letters} letters, {args.workers} worker processes and a clock, "
        f"30% faults, 5% refused for good, SIGKILL every {args.kill_every:g} s, Redis "
        f"emptied at 40% settled; then {args.pause_letters} letters with workers paused "
        "past their lease"
    )
    print(
        "  settings (all others are the defaults): "
        + ", ".join(f"{k}={v}" for k, v in SETTINGS.items())
    )
    baseline = drill(args, kills=False)
    print(f"  without kills: phase 1 drained in {baseline.drain:.0f} s")
    drill(args, kills=True, baseline=baseline)


def drill(args, kills: bool, baseline: Run | None = None) -> Run:
    saved = dict(os.environ)  # make_app points os.environ at this run's database
    try:
        return _drill(args, kills, baseline)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _drill(args, kills: bool, baseline: Run | None) -> Run:
    rng = random.Random(args.seed)
    server_args = [
        *("--fault-rate", "0.3", "--permanent-rate", "0.05"),
        *("--hang-seconds", str(SETTINGS["SENDGRID_TIMEOUT"] + 1), "--retry-after", "1"),
        *("--seed", str(args.seed)),
    ]
    run = Run()
    with (
        services() as (database_url, redis_url),
        SendGridServer(*server_args) as server,
        tempfile.TemporaryDirectory(prefix="campaign-faults-") as tmp,
    ):
        env = settings(database_url, redis_url, server.host, **SETTINGS)
        app = make_app(env)
        from campaign.core.extensions import db
        from campaign.delivery import send_metrics
        from campaign.devtools.backlog import make_backlog

        def backlog(letters: int, slug: str) -> None:
            with app.app_context():
                make_backlog(
                    letters,
                    args.representatives,
                    domains=args.representatives,
                    campaign_slug=slug,
                    throttle_per_second=SETTINGS["THROTTLE_PER_SECOND"],
                )
                db.session.remove()

        def note_windows() -> None:
            with app.app_context():
                for name in (send_metrics.ACCEPT_TO_COMMIT, send_metrics.CHECK_TO_SOCKET):
                    value = send_metrics.largest(name)
                    if value is not None:
                        run.windows[name] = max(run.windows.get(name, 0.0), value)

        redis = Redis.from_url(redis_url)
        backlog(args.letters, "faults")
        if kills:
            print(f"  services: {describe(database_url, redis_url)}")
        log_dir = Path(os.environ.get("BENCH_LOG_DIR") or tmp)
        with clock(env), Workers(args.workers, env, log_dir) as workers:
            # The workers find the letters themselves (their watchdog), as after a deploy.
            started = time.monotonic()
            next_kill = started + args.kill_every
            while True:
                counts = state_counts(app)
                progress("phase 1" + (" with kills" if kills else ""), counts)
                settled = counts.get("sent", 0) + counts.get("failed", 0)
                if counts.get("queued", 0) + counts.get("sending", 0) == 0:
                    break
                if time.monotonic() - started > SETTLE_TIMEOUT:
                    raise SystemExit(f"phase 1 not settled after {SETTLE_TIMEOUT} s: {counts}")
                note_windows()
                if run.flushed_at is None and settled >= args.letters * 0.4:
                    note_windows()
                    redis.flushdb()
                    run.flushed_at = time.time()
                if kills and time.monotonic() >= next_kill:
                    run.kills.append(time.time())
                    workers.kill(rng.randrange(args.workers))
                    next_kill = time.monotonic() + args.kill_every
                time.sleep(0.1)
            run.drain = time.monotonic() - started
            note_windows()
            if kills:
                backlog(args.pause_letters, "pauses")
                pause_phase(args, rng, app, workers, run, note_windows)
        messages = server.remote.messages()
        stats = server.remote.stats()
        if kills:
            report(app, args, run, baseline, messages, stats, log_dir)
    return run


_last_progress = [0.0]


def progress(phase: str, counts: dict) -> None:
    """Every 15 s, where the drill stands (to stderr: the figures stay on stdout)."""
    if time.monotonic() - _last_progress[0] >= 15:
        _last_progress[0] = time.monotonic()
        print(f"    {phase}: {dict(sorted(counts.items()))}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def clock(env: dict):
    """`python worker.py --clock`, as in production (the reconciler every minute)."""
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "worker.py"), "--clock", "--log-level", "WARNING"],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def pause_phase(args, rng, app, workers: Workers, run: Run, note_windows) -> None:
    """Pause a random worker every few seconds for longer than its lease, then resume."""
    lease = SETTINGS["SENDING_LEASE_SECONDS"]
    resume_at: dict[int, float] = {}
    stopped_at: dict[int, float] = {}
    started = time.monotonic()
    next_pause = started + rng.uniform(0.5, args.pause_every)
    while True:
        now = time.monotonic()
        for index, at in list(resume_at.items()):
            if now >= at:
                os.killpg(workers.processes[index].pid, signal.SIGCONT)
                del resume_at[index]
                run.pauses.append((stopped_at.pop(index), time.time()))
        counts = state_counts(app)
        progress("phase 2", counts)
        busy = counts.get("queued", 0) + counts.get("sending", 0)
        if not busy and not resume_at:
            break
        if now - started > SETTLE_TIMEOUT:
            raise SystemExit(f"phase 2 not settled after {SETTLE_TIMEOUT} s: {counts}")
        running = [i for i in range(args.workers) if i not in resume_at]
        if busy and now >= next_pause and len(running) > 1:
            index = rng.choice(running)
            os.killpg(workers.processes[index].pid, signal.SIGSTOP)
            stopped_at[index] = time.time()
            resume_at[index] = now + lease + rng.uniform(1, 5)
            next_pause = now + rng.uniform(0.5, args.pause_every)
        note_windows()
        time.sleep(0.05)


def report(app, args, run: Run, baseline: Run, messages, stats, log_dir: Path) -> None:
    from campaign.core.extensions import db
    from campaign.delivery import send_metrics
    from campaign.models import Letter, LetterEvent

    with app.app_context():
        letters = {letter.id: letter for letter in db.session.execute(db.select(Letter)).scalars()}
        journaled = db.session.execute(
            db.select(db.func.count(db.distinct(LetterEvent.letter_id))).where(
                LetterEvent.cause.like("%send journal%")
            )
        ).scalar_one()
        noticed = db.session.execute(
            db.select(db.func.count(db.distinct(LetterEvent.letter_id))).where(
                LetterEvent.cause.like("sent twice:%")
            )
        ).scalar_one()
        failed = Counter(
            "refused for good (400)"
            if "permanently refused" in (x.last_error or "")
            else f"gave up: {(x.last_error or '')[:40]}"
            for x in letters.values()
            if x.state == "failed"
        )
        states = Counter(x.state for x in letters.values())
        db.session.remove()

    copies: dict[int, list[float]] = defaultdict(list)
    for mail in messages:
        copies[int(mail.custom_args["letter_id"])].append(mail.received_at.timestamp())
    accepted = [t for times in copies.values() for t in times]
    if run.flushed_at is not None:
        after = [t for t in accepted if t > run.flushed_at]
        run.first_after_flush = min(after) - run.flushed_at if after else None
    logs = "".join(path.read_text() for path in log_dir.glob("worker-*.log"))
    fenced = logs.count("lease ran out before its request")
    stuck = [i for i, x in letters.items() if x.state in ("queued", "sending")]
    never_received = [i for i, x in letters.items() if x.state == "sent" and i not in copies]
    failed_but_received = [i for i, x in letters.items() if x.state == "failed" and i in copies]
    lost = len(stuck) + len(never_received)
    twice = {i: sorted(times) for i, times in copies.items() if len(times) > 1}
    commit_window = run.windows.get(send_metrics.ACCEPT_TO_COMMIT, 0.0) / 1000
    socket_window = run.windows.get(send_metrics.CHECK_TO_SOCKET, 0.0) / 1000
    slack = 0.05  # signals and the server's clock reading

    def explain(times: list[float]) -> str | None:
        first = times[0]
        for kill in run.kills:
            if first - slack <= kill <= first + commit_window + slack:
                return "kill inside the 202-to-commit window"
        for stopped, resumed in run.pauses:
            if first - slack <= stopped <= first + commit_window + slack:
                return "pause inside the 202-to-commit window"
            if any(resumed - slack <= t <= resumed + socket_window + slack for t in times[1:]):
                return "pause inside the check-to-socket window"
        return None

    reasons = {i: explain(times) for i, times in twice.items()}
    outside = [i for i, why in reasons.items() if why is None]
    print(
        f"  with kills: phase 1 drained in {run.drain:.0f} s "
        f"({run.drain / baseline.drain:.2f}× the run without kills; target ≤ 2)"
    )
    print(f"  workers killed: {len(run.kills)}; workers paused past their lease: {len(run.pauses)}")
    if run.first_after_flush is not None:
        print(
            f"  Redis emptied; the next letter was accepted {run.first_after_flush:.1f} s later "
            "(target ≤ 10 s)"
        )
    print(
        f"  server: {stats['requests']} requests, {stats['faults']} faults injected "
        f"({', '.join(f'{k[6:]}: {v}' for k, v in stats.items() if k.startswith('fault_'))}), "
        f"{stats['refused']} refused"
    )
    print(f"  letters: {len(letters)} ({args.letters} in phase 1, {args.pause_letters} in phase 2)")
    once = sum(1 for times in copies.values() if len(times) == 1)
    print(f"  accepted once:  {once}")
    print(
        f"  accepted twice: {len(twice)} "
        f"({len(twice) - len(outside)} explained, {len(outside)} not)"
    )
    for letter_id, why in sorted(reasons.items()):
        print(f"    letter {letter_id}: {why or 'NOT EXPLAINED'}")
    print(f"  lost:           {lost} (target 0)")
    reasons_text = ", ".join(f"{k}: {v}" for k, v in failed.most_common())
    print(f"  failed:         {states['failed']} ({reasons_text})")
    if failed_but_received:
        print(f"  failed yet accepted by the server: {len(failed_but_received)}")
    print(f"  recorded from the send journal, not sent again: {journaled}")
    print(f"  held back by the lease fence after a pause: {fenced}")
    print(f"  duplicates the workers noticed and logged: {noticed}")
    print(
        f"  measured windows (largest): 202 to commit {commit_window * 1000:.1f} ms, "
        f"lease check to socket {socket_window * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
