"""Reading a loopback SendGrid server that runs in another process, through its side
API (``/__loopback/``): what it received, its counters, its faults.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from campaign.devtools.sendgrid_faults import Faults
from campaign.devtools.sendgrid_http import CONTROL_PREFIX
from campaign.devtools.sendgrid_mail import ReceivedMail

# ---------------------------------------------------------------------------------------
# Reading a server that runs in another process


class RemoteSendGridLoopback:
    """Client for the side API of a SendGridLoopback running in another process."""

    def __init__(self, host: str, timeout: float = 10.0):
        if not host.startswith("http://"):
            raise ValueError(f"expected an http:// URL, got {host!r}")
        self.host = host.rstrip("/")
        self.timeout = timeout
        # No proxies: the server is on loopback, whatever the environment says.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, action: str, data: Any = None) -> Any:
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(  # noqa: S310 (http:// checked in __init__)
            self.host + CONTROL_PREFIX + action,
            data=body,
            method=method,
            headers={"Content-Type": "application/json"} if body is not None else {},
        )
        with self._opener.open(request, timeout=self.timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def messages(self, since: int = 0) -> list[ReceivedMail]:
        return [ReceivedMail.from_dict(d) for d in self._call("GET", f"messages?since={since}")]

    def stats(self) -> dict[str, int]:
        return self._call("GET", "stats")

    def clear(self) -> None:
        self._call("POST", "clear", {})

    def get_faults(self) -> Faults:
        return Faults.from_dict(self._call("GET", "faults"))

    def set_faults(self, faults: Faults) -> None:
        self._call("POST", "faults", faults.to_dict())

    def script(self, answers: Iterable[str]) -> None:
        self._call("POST", "script", list(answers))

    def wait_for(
        self, count: int, timeout: float = 10.0, interval: float = 0.05
    ) -> list[ReceivedMail]:
        """Poll until at least ``count`` messages were accepted; return them all. Polls
        the counters, not the messages, so that a long wait costs little CPU."""
        deadline = time.monotonic() + timeout
        while True:
            accepted = self.stats()["accepted"]
            if accepted >= count:
                return self.messages()
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"expected {count} message(s), received {accepted} within {timeout}s"
                )
            time.sleep(interval)
