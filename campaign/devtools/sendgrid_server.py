"""A loopback HTTP server that speaks SendGrid's v3 ``POST /v3/mail/send``.

Tests and benchmarks point the sendgrid client at it (``host=server.host``) instead of
api.sendgrid.com. It checks the API key and the request body the way SendGrid does,
answers ``202 Accepted`` with an ``X-Message-Id`` header, records every accepted
message, and can inject the failures a real delivery pipeline meets: rate limiting
(429), server errors (500, 503), requests that hang, connections reset mid-request and
recipients that are refused every time.

In-process use::

    with SendGridLoopback(api_key="test-key") as server:
        client = SendGridAPIClient("test-key", host=server.host)
        client.client.timeout = 2  # seconds; the client has no timeout otherwise
        client.send(mail)
        (mail,) = server.wait_for(1)

As its own process (for benchmarks that run workers in other processes)::

    python -m campaign.devtools.sendgrid_server --port 8025 --api-key K \\
        --fault-rate 0.3 --permanent-rate 0.05 --hang-seconds 5 --seed 1

prints ``listening on http://127.0.0.1:PORT``; the other processes read what it
received through a small side API that lives outside SendGrid's ``/v3`` namespace
(``GET /__loopback/messages[?since=N]``, ``GET /__loopback/stats``,
``POST /__loopback/clear``, ``GET|POST /__loopback/faults``,
``POST /__loopback/script``); ``RemoteSendGridLoopback`` wraps it.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import random
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Self

from campaign.devtools._serving import RecordingServer, serve_until_signalled
from campaign.devtools.sendgrid_faults import FAULT_KINDS, SCRIPT_ANSWERS, Faults
from campaign.devtools.sendgrid_http import (
    BIND_ADDRESS,
    CONTROL_PREFIX,
    MAIL_SEND_PATH,
    STAT_KEYS,
    LoopbackHandler,
    LoopbackHTTPServer,
)
from campaign.devtools.sendgrid_mail import (
    AUTH_INVALID,
    AUTH_MISSING,
    ReceivedMail,
    errors_json,
    new_message_id,
    validate_mail,
)
from campaign.devtools.sendgrid_remote import RemoteSendGridLoopback

# The X-RateLimit-Limit a 429 answer gives.
RATE_LIMIT = 600

__all__ = [
    "CONTROL_PREFIX",
    "FAULT_KINDS",
    "MAIL_SEND_PATH",
    "Faults",
    "ReceivedMail",
    "RemoteSendGridLoopback",
    "SendGridLoopback",
    "main",
]

# ---------------------------------------------------------------------------------------
# The server


class SendGridLoopback(RecordingServer[ReceivedMail]):
    """SendGrid's mail send endpoint on 127.0.0.1, in a background thread.

    ``messages``, ``wait_for``, ``clear`` and ``stats`` come from RecordingServer."""

    def __init__(
        self,
        api_key: str = "test-key",
        port: int = 0,
        faults: Faults | None = None,
        latency: float = 0.0,
        jitter: float = 0.0,
    ):
        """``latency``: seconds every mail send request waits before its answer's
        status line (a distant API's round trip), plus up to ``jitter`` more."""
        super().__init__(STAT_KEYS)
        if latency < 0 or jitter < 0:
            raise ValueError("latency and jitter must not be negative")
        self.latency, self.jitter = latency, jitter
        self._open = 0
        self.api_key = api_key
        self._requested_port = port
        self._script: collections.deque[str] = collections.deque()
        self._faults = faults or Faults()
        self._rng = random.Random(self._faults.seed)
        self._stopping = threading.Event()
        self._httpd: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stopping.clear()
        self._httpd = LoopbackHTTPServer(self._requested_port, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sendgrid-loopback:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()  # returns once serve_forever has left its loop
        # Connections first, then the hanging requests: released the other way round,
        # a hanging request could still write its 504 to a client that must see the
        # connection drop.
        httpd.close_connections()
        self._stopping.set()
        httpd.server_close()  # joins the handler threads
        if thread is not None:
            thread.join()
        self._httpd = None
        self._thread = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def host(self) -> str:
        """Base URL for the sendgrid client (``SendGridAPIClient(key, host=...)``)."""
        return f"http://{BIND_ADDRESS}:{self.port}"

    @property
    def url(self) -> str:
        """Full URL of the mail send endpoint."""
        return self.host + MAIL_SEND_PATH

    # -- faults ---------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)

    def script(self, answers: Iterable[str]) -> None:
        """Answer the next mail send requests with ``answers`` in order ("429", "500",
        "503", "hang", "reset", or "ok" for normal processing), then as usual."""
        answers = list(answers)
        unknown = [answer for answer in answers if answer not in SCRIPT_ANSWERS]
        if unknown:
            raise ValueError(f"unknown scripted answer(s) {unknown}; known: {SCRIPT_ANSWERS}")
        with self._lock:
            self._script.extend(answers)

    def is_refused(self, address: str) -> bool:
        """Whether ``address`` is permanently refused under the current faults."""
        return self._faults.refuses(address)

    # -- request handling (runs in handler threads) ---------------------------------------

    def _draw_fault(self) -> str | None:
        with self._lock:
            self._stats["requests"] += 1
            if self._script:
                self._stats["scripted"] += 1
                answer = self._script.popleft()
                kind = None if answer == "ok" else answer
                if kind == "no-id":
                    return kind
            else:
                faults = self._faults
                kind = None
                if faults.rate > 0.0 and self._rng.random() < faults.rate:
                    kind = self._rng.choice(faults.kinds)
            if kind is not None:
                self._stats["faults"] += 1
                self._stats[f"fault_{kind}"] += 1
            return kind

    def _handle_mail_send(self, handler: LoopbackHandler, body: bytes) -> None:
        with self._lock:
            self._open += 1
            self._stats["max_open"] = max(self._stats["max_open"], self._open)
        try:
            if self.latency or self.jitter:
                self._stopping.wait(self.latency + random.uniform(0, self.jitter))
            self._answer_mail_send(handler, body)
        finally:
            with self._lock:
                self._open -= 1

    def _answer_mail_send(self, handler: LoopbackHandler, body: bytes) -> None:
        faults = self._faults
        with_id = True
        kind = self._draw_fault()
        if kind == "no-id":
            kind, with_id = None, False
        if kind == "429":
            reset_at = int(time.time()) + int(faults.retry_after)
            handler.respond_errors(
                429,
                "too many requests",
                headers=[
                    ("X-RateLimit-Limit", str(RATE_LIMIT)),
                    ("X-RateLimit-Remaining", "0"),
                    ("X-RateLimit-Reset", str(reset_at)),
                ],
            )
            return
        if kind == "500":
            handler.respond_errors(500, "An internal server error occurred.")
            return
        if kind == "503":
            handler.respond_errors(503, "Service Unavailable")
            return
        if kind == "reset":
            handler.reset_connection()
            return
        if kind == "hang":
            self._stopping.wait(faults.hang_seconds)
            handler.close_connection = True
            handler.respond_errors(504, "Gateway Timeout")
            return

        authorization = handler.headers.get("Authorization")
        if authorization != f"Bearer {self.api_key}":
            self._count("unauthorized")
            message = AUTH_MISSING if not authorization else AUTH_INVALID
            handler.respond_errors(401, message)
            return

        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            payload = None
        errors = validate_mail(payload)
        if errors:
            self._count("invalid")
            handler.respond(400, errors_json(errors))
            return

        for i, personalization in enumerate(payload["personalizations"]):
            for kind_of_recipient in ("to", "cc", "bcc"):
                for j, entry in enumerate(personalization.get(kind_of_recipient) or []):
                    if faults.refuses(entry["email"]):
                        self._count("refused")
                        handler.respond_errors(
                            400,
                            f"The recipient address {entry['email']} is permanently refused.",
                            f"personalizations.{i}.{kind_of_recipient}.{j}.email",
                        )
                        return

        mail = ReceivedMail(
            message_id=new_message_id(),
            received_at=datetime.now(UTC),
            headers=dict(handler.headers.items()),
            payload=payload,
        )
        self._accept(mail, "accepted")
        handler.respond(202, headers=[("X-Message-Id", mail.message_id)] if with_id else [])

    def _handle_control(
        self, handler: LoopbackHandler, method: str, path: str, body: bytes
    ) -> None:
        self._count("control")
        action = path[len(CONTROL_PREFIX) :].rstrip("/")
        if method == "GET" and action == "messages":
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(handler.path).query)
            try:
                since = int(query.get("since", ["0"])[0])
                if since < 0:
                    raise ValueError(since)
            except ValueError:
                handler.respond_errors(400, "since must be a non-negative integer", "since")
                return
            handler.respond_json(200, [mail.to_dict() for mail in self.messages[since:]])
        elif method == "GET" and action == "stats":
            handler.respond_json(200, self.stats)
        elif method == "GET" and action == "faults":
            handler.respond_json(200, self.faults.to_dict())
        elif method == "POST" and action == "clear":
            self.clear()
            handler.respond(204)
        elif method == "POST" and action == "faults":
            try:
                self.faults = Faults.from_dict(json.loads(body))
            except (TypeError, ValueError, AttributeError) as exc:
                handler.respond_errors(400, str(exc))
                return
            handler.respond_json(200, self.faults.to_dict())
        elif method == "POST" and action == "script":
            try:
                answers = json.loads(body)
                if not isinstance(answers, list):
                    raise ValueError("expected a JSON list of answers")
                self.script(answers)
            except (TypeError, ValueError) as exc:
                handler.respond_errors(400, str(exc))
                return
            handler.respond(204)
        else:
            handler.respond_errors(404, "resource not found")


# ---------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m campaign.devtools.sendgrid_server",
        description="SendGrid v3 mail send endpoint on 127.0.0.1, for tests and benchmarks.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument(
        "--fault-kinds",
        default=",".join(FAULT_KINDS),
        help=f"comma-separated subset of {','.join(FAULT_KINDS)}",
    )
    parser.add_argument("--permanent-rate", type=float, default=0.0)
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds before every answer's status line"
    )
    parser.add_argument("--jitter", type=float, default=0.0, help="up to this much more")
    args = parser.parse_args(argv)
    try:
        faults = Faults(
            rate=args.fault_rate,
            kinds=tuple(kind for kind in args.fault_kinds.split(",") if kind),
            permanent_rate=args.permanent_rate,
            hang_seconds=args.hang_seconds,
            retry_after=args.retry_after,
            seed=args.seed,
        )
    except ValueError as exc:
        parser.error(str(exc))

    try:
        server = SendGridLoopback(
            api_key=args.api_key,
            port=args.port,
            faults=faults,
            latency=args.latency,
            jitter=args.jitter,
        )
    except ValueError as exc:
        parser.error(str(exc))
    status = serve_until_signalled(server, lambda: server.host)
    with contextlib.suppress(OSError):  # whoever started the server may have gone
        print(f"largest number of requests open at once: {server.stats['max_open']}", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
