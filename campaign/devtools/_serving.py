"""What the loopback servers (sendgrid_server, smtp_server) share: ``with`` around
start/stop, the record of accepted messages and counters that tests wait on, and
running as a process until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, Generic, Self, TypeVar

Message = TypeVar("Message")


class RecordingServer(ABC, Generic[Message]):
    """A server in a background thread that records what it accepts.

    Subclasses implement ``start`` (returning ``self``) and ``stop`` (a no-op when not
    started), count with ``_count`` and record with ``_accept``; ``self._lock`` guards
    the record and the counters, and whatever else a subclass keeps beside them."""

    def __init__(self, stat_keys: Iterable[str]):
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._messages: list[Message] = []
        self._stats = dict.fromkeys(stat_keys, 0)

    # -- lifecycle ------------------------------------------------------------------------

    @abstractmethod
    def start(self) -> Self:
        """Start serving in the background; return ``self``."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving and release the port (nothing to do when not started)."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- recorded messages ----------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        """Block until at least ``count`` messages were accepted; return them all.

        Raises TimeoutError if fewer arrived within ``timeout`` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} message(s), received {len(self._messages)} within {timeout}s"
                )
            return list(self._messages)

    def clear(self) -> None:
        """Forget recorded messages and zero the counters (the configuration stays)."""
        with self._lock:
            self._messages.clear()
            self._stats = dict.fromkeys(self._stats, 0)

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._stats)

    # -- for the request handlers ---------------------------------------------------------

    def _count(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._stats[key] += 1

    def _accept(self, message: Message, *keys: str) -> None:
        """Record an accepted message, count it under ``keys`` and wake ``wait_for``."""
        with self._cond:
            self._messages.append(message)
            for key in keys:
                self._stats[key] += 1
            self._cond.notify_all()


def serve_until_signalled(server: RecordingServer[Any], address: Callable[[], str]) -> int:
    """Run ``server`` until SIGTERM or SIGINT, after printing ``listening on ADDRESS``
    (``address()`` once it started, so that a port picked at start is known)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server.start()
    try:
        print(f"listening on {address()}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0
