"""The load generator of bench/load.py: Locust, run as a library in a process of its
own (Locust patches the standard library for gevent, which the rest of the benchmark
must not see).

    python bench/load_clients.py --host http://127.0.0.1:PORT --scenario submit \
        --work work.json --clients 20 --think 0 --out result.json

Each of CLIENTS simulated browsers takes items from the work list until it is empty.
Every visit (a supporter at the letters page, or back from their email at the
confirmation page; two requests to the bare endpoint) opens a connection of its own
and starts without cookies, as a new browser does: the server sees connections come
and go and spreads them over its workers. With THINK > 0, a browser pauses between
two pages for 0.5 to 1.5 times THINK seconds, as a person reads, and the browsers
start at random moments within the first THINK seconds rather than in one instant.

Writes JSON: {"seconds": wall time, "cpu_seconds": this process's CPU time meanwhile,
"latencies": {kind: [seconds, ...]}, "errors": [...]}.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Scenario:
    """What the browsers share: the work list, the pause, and every request's time."""

    def __init__(self, work: list, think: float):
        self.work = list(reversed(work))
        self.think = think
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def record(self, name, response_time, exception, **_kwargs) -> None:
        """Locust's request event: every request's time, in seconds."""
        self.latencies.setdefault(name, []).append(response_time / 1000)
        if exception is not None:
            self.errors.append(f"{name}: {type(exception).__name__}: {exception}")

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def user_error(self, user_instance, exception, tb) -> None:
        """Locust's event for an exception in a browser's task (the visit is lost)."""
        self.errors.append(f"browser: {type(exception).__name__}: {exception}")


class Browser(FastHttpUser):
    """One simulated browser: visits until the work list is empty."""

    scenario: Scenario  # set by run(), shared by every browser
    scenario_name = "bare"  # the method each visit calls
    wait_time = constant(0)
    # Locust's own retry and redirect handling would hide what the server answered.
    max_retries = 0
    max_redirects = 0

    def on_start(self) -> None:
        self.random = random.Random()
        if self.scenario.think:
            gevent.sleep(self.scenario.think * self.random.random())

    def pause(self) -> None:
        if self.scenario.think:
            gevent.sleep(self.scenario.think * self.random.uniform(0.5, 1.5))

    def new_visit(self) -> None:
        """A new supporter, or the same one back from their email: a new
        connection, no cookies."""
        self.client.client.close()
        self.client.cookiejar.clear()

    def next_item(self):
        if not self.scenario.work:
            raise StopUser()
        return self.scenario.work.pop()

    def get(self, name: str, path: str):
        return self.client.get(path, name=name, allow_redirects=False)

    def post(self, name: str, path: str, form):
        return self.client.post(
            path,
            data=urlencode(form, doseq=True),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            name=name,
            allow_redirects=False,
        )

    @task
    def visit(self) -> None:
        item = self.next_item()
        self.new_visit()
        getattr(self, self.scenario_name)(item)

    def bare(self, _item) -> None:
        for _ in range(2):
            response = self.get("bare", "/")
            if response.status_code != 200 or response.text != "ok":
                self.scenario.fail(f"bare: {response.status_code}")

    def submit(self, supporter) -> None:
        email, country, rep_ids = supporter
        query = "&".join(f"rep={i}" for i in rep_ids)
        page = self.get("letters page", f"/write/{country}/letters?{query}")
        match = CSRF.search(page.text or "")
        if page.status_code != 200 or not match:
            self.scenario.fail(f"letters page: {page.status_code}")
            return
        self.pause()
        form = [
            ("csrf_token", match.group(1)),
            *[("representatives", str(i)) for i in rep_ids],
            ("name", "Load Test"),
            ("email", email),
            ("city", "Vilnius"),
            ("personal_paragraph", "Written by the load benchmark."),
            ("consent", "y"),
            ("website", ""),
            ("send", "1"),
        ]
        sent = self.post("submit", f"/write/{country}/letters", form)
        if sent.status_code != 302 or not sent.headers.get("Location", "").endswith(
            "/check-your-email"
        ):
            self.scenario.fail(f"submit: {sent.status_code}")
        self.pause()

    def warm(self, item) -> None:
        """Not counted: pages compiled and connections opened in every server worker."""
        country, rep_ids = item
        query = "&".join(f"rep={i}" for i in rep_ids)
        self.get("warm-up", f"/write/{country}/letters?{query}")
        self.get("warm-up", "/confirm/not-a-token")

    def confirm(self, path: str) -> None:
        page = self.get("confirm page", path)
        match = CSRF.search(page.text or "")
        if page.status_code != 200 or not match:
            self.scenario.fail(f"confirm page: {page.status_code}")
            return
        self.pause()
        done = self.post("confirm", path, {"csrf_token": match.group(1)})
        if done.status_code != 302 or "/status/" not in done.headers.get("Location", ""):
            self.scenario.fail(f"confirm: {done.status_code}")
        self.pause()


def run(host: str, scenario: str, work: list, clients: int, think: float) -> dict:
    shared = Scenario(work, think)
    Browser.scenario, Browser.scenario_name, Browser.host = shared, scenario, host
    environment = Environment(user_classes=[Browser], events=events)
    environment.events.request.add_listener(shared.record)
    environment.events.user_error.add_listener(shared.user_error)
    runner = environment.create_local_runner()
    started, cpu_started = time.perf_counter(), time.process_time()
    runner.start(clients, spawn_rate=clients)
    # Wait until all browsers have been started, then until every one has stopped.
    while runner.spawning_greenlet and not runner.spawning_greenlet.dead:
        gevent.sleep(0.01)
    while runner.user_count > 0:
        gevent.sleep(0.01)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    runner.quit()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "latencies": shared.latencies,
        "errors": shared.errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--scenario", choices=["bare", "warm", "submit", "confirm"], required=True)
    parser.add_argument("--work", required=True, help="JSON list of work items")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.work) as f:
        work = json.load(f)
    result = run(args.host, args.scenario, work, args.clients, args.think)
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
