"""One webhook request: to the address that was checked (webhook_urls.Target), with
short timeouts and a bound on the whole exchange, no redirect followed, nothing of
the answer kept but its status."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from campaign.partners.webhook_urls import Target

USER_AGENT = "time-for-release-webhooks/1"
# The most of an answer read (and thrown away) so that the connection ends cleanly.
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str  # "" when the receiver answered 2xx
    seconds: float


class _PinnedConnection(http.client.HTTPSConnection):
    """HTTP(S) to a fixed address: the host name is used for the Host header and the
    certificate check only, never looked up again."""

    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext | None):
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._target = target

    def connect(self) -> None:
        sock = socket.create_connection((self._target.address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._target.scheme == "https":
            sock = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``target``. Each connect, send and read gives up after
    ``timeout`` seconds and the whole exchange after three times that (a receiver
    that trickles its answer is cut off). Never raises for a network failure."""
    context = ssl.create_default_context() if target.scheme == "https" else None
    connection = _PinnedConnection(target, timeout, context)
    started = time.monotonic()
    # A watchdog closes the socket when the whole exchange runs over.
    cutoff = threading.Timer(3 * timeout, _cut, args=(connection,))
    cutoff.daemon = True
    cutoff.start()
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        response.read(MAX_ANSWER_BYTES)
        status = response.status
    except ssl.SSLCertVerificationError as exc:
        return Answer(None, f"TLS certificate refused: {exc.verify_message}"[:300], _since(started))
    except (OSError, http.client.HTTPException) as exc:
        cut = time.monotonic() - started >= 3 * timeout - 0.05
        reason = "no complete answer in time" if cut else _describe(exc)
        return Answer(None, reason, _since(started))
    finally:
        cutoff.cancel()
        connection.close()
    if 200 <= status < 300:
        return Answer(status, "", _since(started))
    if 300 <= status < 400:
        return Answer(status, f"HTTP {status}: redirects are not followed", _since(started))
    return Answer(status, f"HTTP {status}", _since(started))


def _cut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


def _describe(exc: Exception) -> str:
    """A short reason naming no address (the delivery log shows it to staff)."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or type(exc).__name__}"[:300]
    if isinstance(exc, http.client.HTTPException):
        return f"invalid HTTP answer ({type(exc).__name__})"
    return f"network error ({type(exc).__name__})"
