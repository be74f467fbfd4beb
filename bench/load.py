"""Load: supporters writing and confirming letters through gunicorn, against the
same gunicorn settings serving a bare Flask endpoint, in one run.

1. bare: a trivial Flask app ("ok") under gunicorn, CLIENTS concurrent clients,
   each visit two requests on a new connection, as a supporter's visit makes;
   then, the same way, a Flask app that reads one row from the database per request
   and does nothing else: the floor of any page that uses the database;
2. the app under the same gunicorn settings, with PostgreSQL (DATABASE_URL) or
   SQLite, Redis (REDIS_URL) or an embedded one, worker processes sending through
   the loopback SendGrid server while the clients run:
   submit: GET the letters page, POST the form (one request pair per supporter);
   confirm: each supporter's link is read from the confirmation mail the workers
   sent, then GET the confirmation page and POST its button;
   first saturated (no pause between requests: throughput), then paced (a pause
   between a supporter's pages, as a person reads, of THINK seconds on average,
   drawn between 0.5 and 1.5 times THINK, the clients starting at random within
   the first THINK: latency at CLIENTS supporters at once).
Then every letter must be sent exactly once (counted at the loopback server).
The browsers are Locust's, in a process of their own (bench/load_clients.py).

The abuse limits stay on, raised for one address: ABUSE_LIMITS_FACTOR=100000
(docs/privacy.md); the throttle is off (THROTTLE_ENABLED=0), as in throughput.py.

    .venv/bin/python bench/load.py [--clients 20] [--supporters 300] [--web-workers 2] [--threads 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def bare_app():
    """The floor: a Flask app with one route and nothing else."""
    from flask import Flask

    app = Flask("bare")

    @app.get("/")
    def ok():
        return "ok"

    return app


def one_row_app():
    """What any page that reads the database costs at least: Flask and
    Flask-SQLAlchemy with the app's own database settings, one row read per request,
    and nothing else (no template, session, form, rate limit or write)."""
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import text

    from campaign.core.config import load_config

    config = load_config(tempfile.gettempdir())
    app = Flask("one_row")
    for key in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS"):
        app.config[key] = config[key]
    db = SQLAlchemy(app)

    @app.get("/")
    def ok():
        title = db.session.execute(text("SELECT title FROM campaign ORDER BY id LIMIT 1"))
        return "ok" if title.scalar() else "no campaign"

    return app


# -- the load generator -------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # CPU seconds of the Locust process while it ran

    def all(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]


def drive(port: int, scenario: str, work: list, clients: int, think: float = 0.0):
    """Locust (bench/load_clients.py, a process of its own) runs ``scenario`` over
    ``work`` with ``clients`` browsers; returns (Stats, wall seconds)."""
    with tempfile.TemporaryDirectory(prefix="campaign-load-") as tmp:
        work_file, out_file = Path(tmp) / "work.json", Path(tmp) / "result.json"
        work_file.write_text(json.dumps(work))
        subprocess.run(
            [
                sys.executable, str(HERE / "load_clients.py"),
                "--host", f"http://127.0.0.1:{port}",
                "--scenario", scenario,
                "--work", str(work_file),
                "--clients", str(clients),
                "--think", str(think),
                "--out", str(out_file),
            ],
            check=True,
        )  # fmt: skip
        result = json.loads(out_file.read_text())
    return Stats(result["latencies"], result["errors"], result["cpu_seconds"]), result["seconds"]


# -- where the CPU goes ---------------------------------------------------------------


class CpuMeter:
    """CPU seconds (user + system) of each part of the run, processes and their
    children: the web server, the letter workers, PostgreSQL and Redis (all their
    server processes on this machine), the loopback SendGrid server, and this
    process (the Locust processes report their own: Stats.client_cpu)."""

    def __init__(self, parts: dict[str, list[int]]):
        self.parts = parts  # name: root process ids; "postgres"/"redis": by name

    def _processes(self, name: str) -> list:
        import psutil

        if name in ("postgres", "redis"):
            prefix = "postgres" if name == "postgres" else "redis-server"
            return [
                p
                for p in psutil.process_iter(["name"])
                if (p.info["name"] or "").startswith(prefix)
            ]
        found = []
        for pid in self.parts[name]:
            try:
                root = psutil.Process(pid)
                # This process started all the others: its children are counted there.
                children = [] if pid == os.getpid() else root.children(recursive=True)
                found += [root, *children]
            except psutil.NoSuchProcess:
                pass
        return found

    def read(self) -> dict[str, float]:
        import psutil

        totals = {}
        for name in self.parts:
            seconds = 0.0
            for process in self._processes(name):
                try:
                    times = process.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                seconds += times.user + times.system
            totals[name] = seconds
        return totals


# -- gunicorn -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with the Procfile's access log (its format and logger), on a
    loopback port."""

    def __init__(
        self, app: str, env: dict[str, str], workers: int, threads: int, chdir: Path, log: Path
    ):
        self.port = free_port()
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers),
                "--threads", str(threads),
                "--worker-class", "gthread",
                "--keep-alive", "30",
                "--logger-class", "campaign.core.gunicorn_logging.PrivateAccessLogger",
                "--access-logfile", str(log.with_suffix(".access")),
                "--access-logformat", "%(m)s %(U)s %(s)s %(L)ss",
                "--chdir", str(chdir),
                app,
            ],
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("gunicorn did not answer")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


# -- figures ------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def line(name: str, values: list[float], seconds: float) -> str:
    p50, p99 = percentile(values, 0.50) * 1000, percentile(values, 0.99) * 1000
    return (
        f"  {name:<14} {len(values):>6} requests  {len(values) / seconds:>8.1f} req/s  "
        f"p50 {p50:>6.1f} ms  p99 {p99:>6.1f} ms"
    )


@dataclass
class Phase:
    name: str
    stats: Stats
    submit_seconds: float
    confirm_seconds: float
    supporters: int
    confirmed: int

    @property
    def seconds(self) -> float:
        return self.submit_seconds + self.confirm_seconds

    def report(self) -> None:
        print(f"{self.name}:")
        for kind, seconds in (
            ("letters page", self.submit_seconds),
            ("submit", self.submit_seconds),
            ("confirm page", self.confirm_seconds),
            ("confirm", self.confirm_seconds),
        ):
            print(line(kind, self.stats.latencies.get(kind, [0.0]), seconds))
        print(line("all", self.stats.all(), self.seconds))
        print(
            f"  {self.supporters} supporters submitted in {self.submit_seconds:.1f} s, "
            f"{self.confirmed} confirmed in {self.confirm_seconds:.1f} s"
        )


def supporters_phase(name, supporters, clients, think, port, server, mails_before) -> Phase:
    """Submit every supporter's letters, read the confirmation links from the mail the
    workers send, confirm them all."""
    stats, submit_seconds = drive(port, "submit", supporters, clients, think)
    wanted = {email for email, _, _ in supporters}
    mails = server.remote.wait_for(mails_before + len(supporters), timeout=300)
    links = sorted(
        urlsplit(link).path
        for mail in mails
        if set(mail.to) & wanted
        for link in re.findall(r"https?://\S+/confirm/\S+", mail.text or "")
    )
    confirmed, confirm_seconds = drive(port, "confirm", links, clients, think)
    stats.latencies.update(confirmed.latencies)
    stats.errors += confirmed.errors
    stats.client_cpu += confirmed.client_cpu
    return Phase(name, stats, submit_seconds, confirm_seconds, len(supporters), len(links))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--supporters", type=int, default=300, help="in the saturated phase")
    parser.add_argument("--paced-supporters", type=int, default=100)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between pages, paced")
    parser.add_argument("--bare-requests", type=int, default=6000)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--letter-workers", type=int, default=2)
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    from _common import (
        SendGridServer,
        Workers,
        describe,
        make_app,
        services,
        settings,
        state_counts,
    )

    with (
        services() as (database_url, redis_url),
        SendGridServer() as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = settings(
            database_url,
            redis_url,
            server.host,
            ABUSE_LIMITS_FACTOR=100000,
            THROTTLE_ENABLED=0,
            DISPATCH_CONCURRENCY=args.letter_workers,
        )
        app = make_app(env)
        with app.app_context():
            from campaign.core.extensions import db
            from campaign.models import Representative
            from campaign.seed import seed_demo

            seed_demo()
            by_country: dict[str, list[int]] = {}
            for rep in db.session.execute(db.select(Representative)).scalars():
                by_country.setdefault(rep.country, []).append(rep.id)
            db.session.remove()
        rng = random.Random(7)

        def people(prefix: str, count: int) -> list:
            chosen = []
            for i in range(count):
                country = rng.choice(sorted(by_country))
                chosen.append(
                    (f"{prefix}-{i}@example.org", country, rng.sample(by_country[country], 2))
                )
            return chosen

        saturated_people = people("load", args.supporters)
        paced_people = people("paced", args.paced_supporters)
        letters_expected = 2 * (len(saturated_people) + len(paced_people))

        print(
            f"load: {args.clients} concurrent clients; gunicorn {args.web_workers} workers x "
            f"{args.threads} threads (gthread); {args.letter_workers} letter worker processes"
        )
        print(f"  services: {describe(database_url, redis_url)}")

        def reference(app_spec: str, name: str) -> tuple[Stats, float]:
            """``app_spec`` under the same gunicorn settings, the same clients and visits."""
            server = Gunicorn(app_spec, env, args.web_workers, args.threads, HERE, Path(tmp) / name)
            try:
                visits = list(range(args.bare_requests // 2))
                return drive(server.port, "bare", visits, args.clients)
            finally:
                server.stop()

        bare_stats, bare_seconds = reference("load:bare_app()", "bare.log")
        one_row_stats, one_row_seconds = reference("load:one_row_app()", "one_row.log")

        web = Gunicorn("wsgi:app", env, args.web_workers, args.threads, ROOT, Path(tmp) / "web.log")
        try:
            with Workers(args.letter_workers, env) as workers:
                # Warm up every gunicorn worker (templates compiled, connections open);
                # these requests are not counted.
                warm = [(c, ids[:2]) for c, ids in sorted(by_country.items())]
                warm *= 4 * args.web_workers
                drive(web.port, "warm", warm, args.clients)
                meter = CpuMeter(
                    {
                        "web (gunicorn)": [web.process.pid],
                        "letter workers": [p.pid for p in workers.processes],
                        "postgres": [],
                        "redis": [],
                        "loopback SendGrid": [server.process.pid],
                        "load generator": [os.getpid()],
                    }
                )
                cpu_before = meter.read()
                saturated = supporters_phase(
                    "saturated (no pause between requests)",
                    saturated_people, args.clients, 0.0, web.port, server, 0,
                )  # fmt: skip
                # Every mail of the saturated phase (a confirmation, two letters each).
                server.remote.wait_for(3 * len(saturated_people), timeout=600)
                cpu_after = meter.read()
                paced = supporters_phase(
                    f"paced (about {args.think:g} s between a supporter's pages)",
                    paced_people, args.clients, args.think, web.port, server,
                    len(saturated_people),
                )  # fmt: skip
                total_mails = len(saturated_people) + len(paced_people) + letters_expected
                server.remote.wait_for(total_mails, timeout=600)
                time.sleep(1.0)  # anything sent twice would arrive now
                received = server.remote.messages()
        finally:
            web.stop()

        letter_ids = [
            m.custom_args.get("letter_id") for m in received if m.custom_args.get("letter_id")
        ]
        states = state_counts(app)
        bare_rate = len(bare_stats.all()) / bare_seconds
        app_rate = len(saturated.stats.all()) / saturated.seconds

        one_row_rate = len(one_row_stats.all()) / one_row_seconds
        print("bare Flask endpoint (saturated):")
        print(line("GET /", bare_stats.all(), bare_seconds))
        print("one row read from the database, nothing else (saturated):")
        print(line("GET /", one_row_stats.all(), one_row_seconds))
        saturated.report()
        paced.report()
        print(
            f"throughput, saturated: {app_rate / bare_rate * 100:.1f}% of the bare endpoint's; "
            f"the one-row endpoint: {one_row_rate / bare_rate * 100:.1f}% of it"
        )
        print("CPU per supporter, saturated (four requests, a confirmation mail, two letters):")
        spent = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
        spent["load generator"] += saturated.stats.client_cpu
        for name, seconds in spent.items():
            share = seconds / max(sum(spent.values()), 1e-9) * 100
            print(f"  {name:<18} {seconds / len(saturated_people) * 1000:>6.1f} ms  {share:>4.0f}%")
        print(f"  {'all':<18} {sum(spent.values()) / len(saturated_people) * 1000:>6.1f} ms")
        lost = letters_expected - len(set(letter_ids))
        print(
            f"letters: {letters_expected} written, {states.get('sent', 0)} sent, "
            f"{len(letter_ids)} received by the mail server "
            f"({len(letter_ids) - len(set(letter_ids))} twice), {max(0, lost)} lost"
        )
        errors = bare_stats.errors + one_row_stats.errors + saturated.stats.errors
        errors += paced.stats.errors
        print(f"errors: {len(errors)}")
        for error in errors[:10]:
            print(f"  {error}")
        ok = (
            not errors
            and lost == 0
            and len(letter_ids) == letters_expected
            and states.get("sent", 0) == letters_expected
        )
        p99_paced = percentile(paced.stats.all(), 0.99) * 1000
        p99_saturated = percentile(saturated.stats.all(), 0.99) * 1000
        print(
            "target: >= 25% of bare: "
            f"{'met' if app_rate >= 0.25 * bare_rate else 'NOT met'}; "
            f"p99 < 150 ms at {args.clients} clients: paced "
            f"{'met' if p99_paced < 150 else 'NOT met'}, saturated "
            f"{'met' if p99_saturated < 150 else 'NOT met'}; "
            f"no errors, no letter lost: {'met' if ok else 'NOT met'}"
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
