"""The failures the loopback SendGrid server can inject (``Faults``): rate limiting
(429), server errors (500, 503), requests that hang, connections reset mid-request,
and recipients refused every time; and the answers a test may script one by one.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

FAULT_KINDS = ("429", "500", "503", "hang", "reset")
# "no-id": accepted and recorded, but the 202 carries no X-Message-Id.
SCRIPT_ANSWERS = (*FAULT_KINDS, "ok", "no-id")

# ---------------------------------------------------------------------------------------
# Fault configuration


@dataclasses.dataclass(frozen=True)
class Faults:
    """What goes wrong, and how often.

    ``rate``: probability that a request to /v3/mail/send gets one of ``kinds``
    instead of being processed:

    * ``"429"``: rate limited, with X-RateLimit-Limit, X-RateLimit-Remaining: 0 and
      X-RateLimit-Reset (a unix time ``retry_after`` seconds ahead);
    * ``"500"`` / ``"503"``: server error with SendGrid's error JSON;
    * ``"hang"``: the server stalls ``hang_seconds`` (a client with a shorter timeout
      times out), then answers ``504`` without recording the message;
    * ``"reset"``: the connection is reset (RST) without any response.

    ``permanent_rate``: share of recipient addresses refused with 400 on every attempt,
    chosen by a hash of the address and ``seed`` (so retries of a letter keep failing).
    ``refuse``: addresses refused the same way whatever ``permanent_rate`` is.
    ``seed``: seeds the fault draws, so a run with a seed is reproducible.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    permanent_rate: float = 0.0
    hang_seconds: float = 30.0
    retry_after: int = 1
    seed: int | None = None
    refuse: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        kinds = (self.kinds,) if isinstance(self.kinds, str) else tuple(self.kinds)
        unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s) {unknown}; known: {FAULT_KINDS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.rate > 0 and not kinds:
            raise ValueError("a fault rate needs at least one fault kind")
        if not 0.0 <= self.permanent_rate <= 1.0:
            raise ValueError("permanent_rate must be between 0 and 1")
        if self.hang_seconds < 0 or self.retry_after < 0:
            raise ValueError("hang_seconds and retry_after must not be negative")
        refuse = {self.refuse} if isinstance(self.refuse, str) else self.refuse
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "refuse", frozenset(a.strip().lower() for a in refuse))

    def refuses(self, address: str) -> bool:
        """Whether ``address`` is permanently refused under these settings."""
        key = address.strip().lower()
        if key in self.refuse:
            return True
        if self.permanent_rate <= 0.0:
            return False
        digest = hashlib.sha256(f"{self.seed}\x00{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64 < self.permanent_rate

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["kinds"] = list(self.kinds)
        data["refuse"] = sorted(self.refuse)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        return cls(**data)
