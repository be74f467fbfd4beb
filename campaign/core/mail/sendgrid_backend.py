"""SendGrid v3 backend through the official client.

Requests are built by the client (``sendgrid.helpers.mail.Mail``) and sent over a
connection kept open per worker (mail.http_transport), always with a timeout. Every
request turns click, open and subscription tracking off.

SendGrid's answers, as the delivery service sees them:

* 202: accepted; X-Message-Id is the message's id (stored on the letter);
* 429: TransientMailError with ``retry_after`` = X-RateLimit-Reset - now;
* 5xx, timeouts, refused or reset connections: TransientMailError (backoff);
* any other 4xx: PermanentMailError with SendGrid's own error text, never retried.
"""

from __future__ import annotations

import json
import time
import urllib.error
import weakref
from email.headerregistry import Address
from http.client import HTTPException

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    ClickTracking,
    CustomArg,
    From,
    Mail,
    OpenTracking,
    ReplyTo,
    SubscriptionTracking,
    To,
    TrackingSettings,
)

from campaign.core.mail.base import (
    OutgoingMessage,
    PermanentMailError,
    TransientMailError,
    one_line,
)
from campaign.core.mail.http_transport import ConnectionPool, KeepAliveClient


class SendGridBackend:
    """Safe to call from several threads at once: each thread sends over its own
    kept-open connection (mail.http_transport). ``concurrency`` is how many requests
    the dispatcher keeps in flight through it (SENDGRID_CONCURRENCY)."""

    def __init__(self, api_key: str, host: str, timeout: float, concurrency: int = 1):
        host = host.rstrip("/")
        self.concurrency = max(1, int(concurrency))
        self.client = SendGridAPIClient(api_key=api_key, host=host)
        # The client has no timeout of its own (a hung request would hold a worker
        # forever) and opens a new connection per request: replace its HTTP client by
        # one that keeps the connection and always times out.
        self.timeout = timeout
        self.pool = ConnectionPool(host, timeout)
        self.client.client = KeepAliveClient(
            host=host,
            request_headers=self.client._default_headers,
            version=3,
            timeout=timeout,
            pool=self.pool,
        )
        # Close the kept connections when the backend goes (an app torn down).
        weakref.finalize(self, self.pool.close)

    def close(self) -> None:
        self.pool.close()

    def on_request_written(self, callback) -> None:
        """Call ``callback`` once this thread's next request has left, before its
        answer arrives (the dispatcher lets the next request go from then on)."""
        self.pool.on_written(callback)

    def request_left_at(self) -> float | None:
        """When (time.monotonic()) this thread's last request had been written out."""
        return self.pool.last_sent_at()

    def send(self, message: OutgoingMessage) -> str:
        try:
            response = self.client.send(build_payload(message))
        except http_errors.HTTPError as exc:
            raise classify_http_error(exc) from None
        except TimeoutError:
            raise TransientMailError(f"SendGrid did not answer within {self.timeout:g}s") from None
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
            raise TransientMailError(f"connection to SendGrid failed: {reason}") from None
        return response.headers.get("X-Message-Id", "") or ""


def build_payload(message: OutgoingMessage) -> dict:
    """The v3 mail/send JSON. Each address goes in its own field and each name in
    its own, on one line and as given: the client's helpers would read an
    address out of an empty name's field, and wrap a name holding "," or ";" in
    quotes after decoding HTML entities in it, so names are set after them."""
    for address in (message.from_email, message.to_email, message.reply_to_email):
        if address is not None and not _one_address(address):
            raise PermanentMailError("invalid address: not one plain address")
    mail = Mail(
        from_email=From(message.from_email),
        to_emails=To(message.to_email),
        subject=one_line(message.subject),
        plain_text_content=message.text,
    )
    if message.reply_to_email:
        mail.reply_to = ReplyTo(message.reply_to_email)
    for key, value in message.custom_args.items():
        mail.add_custom_arg(CustomArg(key, value))
    # No click, open or subscription tracking: no tracking pixels or rewritten
    # links in letters to parliaments, and nothing that reports on supporters.
    mail.tracking_settings = TrackingSettings(
        click_tracking=ClickTracking(False, False),
        open_tracking=OpenTracking(False),
        subscription_tracking=SubscriptionTracking(False),
    )
    payload = mail.get()
    _name(payload["from"], message.from_name)
    _name(payload["personalizations"][0]["to"][0], message.to_name)
    if message.reply_to_email:
        _name(payload["reply_to"], message.reply_to_name)
    return payload


def _name(field: dict, name: str) -> None:
    name = one_line(name)
    if name:
        field["name"] = name
    else:
        field.pop("name", None)


def _one_address(address: str) -> bool:
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError):
        return False
    return bool(parsed.username and parsed.domain) and one_line(address) == address


def classify_http_error(exc: http_errors.HTTPError) -> Exception:
    status = int(exc.status_code)
    detail = error_text(exc.body)
    if status == 429:
        return TransientMailError(f"SendGrid 429: {detail}", retry_after=retry_after(exc.headers))
    if status >= 500:
        return TransientMailError(f"SendGrid {status}: {detail}")
    return PermanentMailError(f"SendGrid {status}: {detail}")


def error_text(body: bytes | str | None) -> str:
    if not body:
        return "no detail"
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        errors = json.loads(body).get("errors", [])
        messages = [e.get("message", "") for e in errors if isinstance(e, dict)]
        if messages:
            return "; ".join(m for m in messages if m)[:500]
    except (ValueError, AttributeError):
        pass
    return body[:500]


def retry_after(headers) -> float | None:
    """Seconds until SendGrid's rate-limit window resets (X-RateLimit-Reset is a unix time)."""
    try:
        reset = float(headers.get("X-RateLimit-Reset"))
    except (TypeError, ValueError, AttributeError):
        return None
    return max(0.0, reset - time.time())
