"""A partner's webhook receiver on loopback, for tests and the demo: it checks each
request's signature as docs/partners-api.md tells partners to, records what it got,
and answers with the status it is told to (200, or a failure while ``failing``).

    python -m campaign.devtools.webhook_receiver --port 5870 --secret whsec_...

prints each event it receives (and whether its signature holds)."""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from campaign.partners.webhook_signing import verify

MAX_BODY = 1024 * 1024


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature held (with the secret the receiver was given)
    answered: int  # the status the receiver answered

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Start with ``start()``; ``url`` is where it listens; ``secret`` is the endpoint's
    secret (set it once the endpoint exists); ``failing`` makes it answer 500."""

    secret: str = ""
    failing: bool = False
    path: str = "/hook"
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, port: int = 0) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, MAX_BODY))
                headers = {k.lower(): v for k, v in self.headers.items()}
                signed = bool(receiver.secret) and verify(
                    receiver.secret, headers, body, tolerance=300, now=int(time.time())
                )
                status = 404 if self.path != receiver.path else (500 if receiver.failing else 200)
                with receiver._lock:
                    receiver.received.append(Received(headers, body, signed, status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):  # noqa: A002 - http.server's name
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    def accepted(self) -> list[Received]:
        """The requests it answered 2xx."""
        with self._lock:
            return [r for r in self.received if 200 <= r.answered < 300]

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Wait until ``count`` requests were accepted; returns them."""
        deadline = time.monotonic() + timeout
        while len(self.accepted()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self.accepted())} of {count} webhooks accepted in {timeout} s "
                    f"({len(self.received)} received)"
                )
            time.sleep(0.05)
        return self.accepted()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5870)
    parser.add_argument("--secret", default="")
    args = parser.parse_args()
    receiver = WebhookReceiver(secret=args.secret).start(args.port)
    print(f"listening on {receiver.url}", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            for item in receiver.received[seen:]:
                print(item.headers.get("webhook-event"), "signed" if item.signed else "NOT signed")
            seen = len(receiver.received)
    except KeyboardInterrupt:
        receiver.stop()


if __name__ == "__main__":
    main()
