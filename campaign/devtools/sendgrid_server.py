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
import dataclasses
import hashlib
import io
import json
import random
import re
import secrets
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from campaign.devtools._serving import RecordingServer, serve_until_signalled

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

MAIL_SEND_PATH = "/v3/mail/send"
CONTROL_PREFIX = "/__loopback/"
FAULT_KINDS = ("429", "500", "503", "hang", "reset")
# "no-id": accepted and recorded, but the 202 carries no X-Message-Id.
SCRIPT_ANSWERS = (*FAULT_KINDS, "ok", "no-id")
BIND_ADDRESS = "127.0.0.1"

# SendGrid refuses a request body larger than 30 MB.
MAX_BODY_BYTES = 30 * 1024 * 1024
MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
RATE_LIMIT = 600

STAT_KEYS = (
    "requests",  # every request to /v3/mail/send
    "accepted",  # 202, message recorded
    "unauthorized",  # 401
    "invalid",  # 400 for a malformed or incomplete body
    "refused",  # 400 for a permanently refused recipient
    "faults",  # every injected fault, whatever its kind
    "fault_429",
    "fault_500",
    "fault_503",
    "fault_hang",
    "fault_reset",
    "scripted",  # answers taken from server.script([...]), "ok" included
    "control",  # requests to the /__loopback/ side API
    "not_found",  # any other path or method
    "server_errors",  # unexpected exceptions in the server itself (a bug here)
    "max_open",  # the largest number of mail send requests open at once
)

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")

_AUTH_MISSING = "authorization required"
_AUTH_INVALID = "The provided authorization grant is invalid, expired, or revoked"
_MSG_BAD_REQUEST = "Bad Request"
_MSG_NO_PERSONALIZATIONS = (
    "The personalizations field is required and must have at least one personalization."
)
_MSG_NO_TO = (
    "The to array is required for all personalization objects, and must have at least "
    "one email object with a valid email address."
)
_MSG_NO_FROM = (
    "The from object must be provided for every email send. It is an object that "
    'requires the email parameter, e.g. {"email": "example@example.com"}.'
)
_MSG_NO_SUBJECT = (
    "The subject is required. You can get around this requirement if you use a template "
    "with a subject defined or if every personalization has a subject defined."
)
_MSG_NO_CONTENT = (
    "Unless a valid template_id is provided, the content parameter is required. There "
    "must be at least one defined content block."
)
_MSG_BAD_ADDRESS = "Does not contain a valid address."


def _error_body(message: str, field: str | None = None) -> dict[str, Any]:
    return {"message": message, "field": field, "help": None}


def _errors_json(errors: Iterable[Mapping[str, Any]]) -> bytes:
    return json.dumps({"errors": list(errors)}).encode()


def _new_message_id() -> str:
    # SendGrid's ids are 22 URL-safe characters (16 random bytes).
    return secrets.token_urlsafe(16)


def is_valid_address(address: Any) -> bool:
    return isinstance(address, str) and len(address) <= 254 and bool(_EMAIL_RE.match(address))


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


# ---------------------------------------------------------------------------------------
# Recorded messages


@dataclasses.dataclass(frozen=True)
class ReceivedMail:
    """One accepted ``POST /v3/mail/send``: HTTP headers and the parsed JSON body."""

    message_id: str
    received_at: datetime
    headers: dict[str, str]
    payload: dict[str, Any]

    @property
    def personalizations(self) -> list[dict[str, Any]]:
        return list(self.payload.get("personalizations") or [])

    def _addresses(self, kind: str) -> list[str]:
        return [
            entry["email"]
            for personalization in self.personalizations
            for entry in personalization.get(kind) or []
        ]

    @property
    def to(self) -> list[str]:
        return self._addresses("to")

    @property
    def cc(self) -> list[str]:
        return self._addresses("cc")

    @property
    def bcc(self) -> list[str]:
        return self._addresses("bcc")

    @property
    def recipients(self) -> list[str]:
        return self.to + self.cc + self.bcc

    @property
    def from_email(self) -> str:
        return self.payload["from"]["email"]

    @property
    def from_name(self) -> str | None:
        return self.payload["from"].get("name")

    @property
    def reply_to(self) -> str | None:
        reply_to = self.payload.get("reply_to")
        return reply_to.get("email") if reply_to else None

    @property
    def reply_to_name(self) -> str | None:
        reply_to = self.payload.get("reply_to")
        return reply_to.get("name") if reply_to else None

    @property
    def subject(self) -> str | None:
        """The first personalization's subject if it has one, else the message's."""
        personalizations = self.personalizations
        if personalizations and personalizations[0].get("subject"):
            return personalizations[0]["subject"]
        return self.payload.get("subject")

    def _content(self, mime_type: str) -> str | None:
        for block in self.payload.get("content") or []:
            if block.get("type") == mime_type:
                return block.get("value")
        return None

    @property
    def text(self) -> str | None:
        return self._content("text/plain")

    @property
    def html(self) -> str | None:
        return self._content("text/html")

    @property
    def custom_args(self) -> dict[str, str]:
        """Message-level custom_args overlaid with the first personalization's."""
        merged = dict(self.payload.get("custom_args") or {})
        personalizations = self.personalizations
        if personalizations:
            merged.update(personalizations[0].get("custom_args") or {})
        return merged

    @property
    def tracking_settings(self) -> dict[str, Any]:
        return dict(self.payload.get("tracking_settings") or {})

    @property
    def categories(self) -> list[str]:
        return list(self.payload.get("categories") or [])

    @property
    def email_headers(self) -> dict[str, str]:
        """The ``headers`` of the message (not of the HTTP request)."""
        merged = dict(self.payload.get("headers") or {})
        personalizations = self.personalizations
        if personalizations:
            merged.update(personalizations[0].get("headers") or {})
        return merged

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "received_at": self.received_at.isoformat(),
            "headers": self.headers,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReceivedMail:
        return cls(
            message_id=data["message_id"],
            received_at=datetime.fromisoformat(data["received_at"]),
            headers=dict(data["headers"]),
            payload=dict(data["payload"]),
        )


# ---------------------------------------------------------------------------------------
# Validation, as SendGrid does it for the fields this project sends


def validate_mail(payload: Any) -> list[dict[str, Any]]:
    """SendGrid-style error objects for ``payload``; empty when it would be accepted."""
    if not isinstance(payload, dict):
        return [_error_body(_MSG_BAD_REQUEST)]
    errors: list[dict[str, Any]] = []
    has_template = bool(payload.get("template_id"))

    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(_error_body(_MSG_NO_PERSONALIZATIONS, "personalizations"))
        personalizations = []
    elif len(personalizations) > MAX_PERSONALIZATIONS:
        errors.append(
            _error_body(
                f"The personalization block is limited to {MAX_PERSONALIZATIONS} "
                f"personalizations per API request. You have provided "
                f"{len(personalizations)} personalizations.",
                "personalizations",
            )
        )
    total_recipients = 0
    for i, personalization in enumerate(personalizations):
        if not isinstance(personalization, dict):
            errors.append(_error_body(_MSG_BAD_REQUEST, f"personalizations.{i}"))
            continue
        to = personalization.get("to")
        if not isinstance(to, list) or not to:
            errors.append(_error_body(_MSG_NO_TO, f"personalizations.{i}.to"))
        seen: set[str] = set()
        for kind in ("to", "cc", "bcc"):
            entries = personalization.get(kind) or []
            if not isinstance(entries, list):
                errors.append(_error_body(_MSG_BAD_REQUEST, f"personalizations.{i}.{kind}"))
                continue
            for j, entry in enumerate(entries):
                field = f"personalizations.{i}.{kind}.{j}.email"
                address = entry.get("email") if isinstance(entry, dict) else None
                if not is_valid_address(address):
                    errors.append(_error_body(_MSG_BAD_ADDRESS, field))
                    continue
                total_recipients += 1
                if address.lower() in seen:
                    errors.append(
                        _error_body(
                            "Each email address in the personalization block should be "
                            f"unique between to, cc, and bcc. We found the first duplicate "
                            f"instance of [{address}] in the personalizations.{i}.{kind} "
                            "field.",
                            f"personalizations.{i}",
                        )
                    )
                seen.add(address.lower())
        errors.extend(_check_custom_args(personalization, f"personalizations.{i}."))
    if total_recipients > MAX_RECIPIENTS:
        errors.append(
            _error_body(
                f"There is a limit of {MAX_RECIPIENTS} total recipients (to + cc + bcc) "
                "per request.",
                "personalizations",
            )
        )

    sender = payload.get("from")
    sender_email = sender.get("email") if isinstance(sender, dict) else None
    if not sender_email:
        errors.append(_error_body(_MSG_NO_FROM, "from.email"))
    elif not is_valid_address(sender_email):
        errors.append(_error_body("The from email does not contain a valid address.", "from.email"))

    reply_to = payload.get("reply_to")
    if reply_to is not None:
        reply_email = reply_to.get("email") if isinstance(reply_to, dict) else None
        if not is_valid_address(reply_email):
            errors.append(
                _error_body(
                    "The reply_to email does not contain a valid address.", "reply_to.email"
                )
            )

    subject = payload.get("subject")
    if subject is not None and not isinstance(subject, str):
        errors.append(_error_body("The subject must be a string.", "subject"))
    elif not has_template and not subject:
        every_personalization_has_one = bool(personalizations) and all(
            isinstance(p, dict) and isinstance(p.get("subject"), str) and p["subject"]
            for p in personalizations
        )
        if not every_personalization_has_one:
            errors.append(_error_body(_MSG_NO_SUBJECT, "subject"))

    content = payload.get("content")
    if content is None or content == []:
        if not has_template:
            errors.append(_error_body(_MSG_NO_CONTENT, "content"))
    elif not isinstance(content, list):
        errors.append(_error_body(_MSG_BAD_REQUEST, "content"))
    else:
        types = []
        for k, block in enumerate(content):
            if not isinstance(block, dict):
                errors.append(_error_body(_MSG_BAD_REQUEST, f"content.{k}"))
                continue
            if not isinstance(block.get("type"), str) or not block["type"]:
                errors.append(
                    _error_body(
                        "The content type must be a string at least one character in length.",
                        f"content.{k}.type",
                    )
                )
            if not isinstance(block.get("value"), str) or not block["value"]:
                errors.append(
                    _error_body(
                        "The content value must be a string at least one character in length.",
                        f"content.{k}.value",
                    )
                )
            types.append(block.get("type"))
        if "text/plain" in types and types.index("text/plain") != 0:
            errors.append(
                _error_body(
                    "If present, text/plain must be first, followed by text/html, followed "
                    "by any other content.",
                    "content",
                )
            )

    errors.extend(_check_custom_args(payload, ""))
    return errors


def _check_custom_args(container: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    custom_args = container.get("custom_args")
    if custom_args is None:
        return []
    if not isinstance(custom_args, dict):
        return [_error_body(_MSG_BAD_REQUEST, f"{prefix}custom_args")]
    return [
        _error_body(
            f"Invalid type. Expected: string, given: {type(value).__name__}.",
            f"{prefix}custom_args.{key}",
        )
        for key, value in custom_args.items()
        if not isinstance(value, str)
    ]


# ---------------------------------------------------------------------------------------
# HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffer the response: headers and body leave in one write, flushed by
    # handle_one_request after each request.
    wbufsize = -1
    disable_nagle_algorithm = True
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 120
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        # Unlike StreamRequestHandler.finish, close both files even when the client is
        # gone and the last flush fails: an open file keeps the socket from closing.
        try:
            for stream in (self.wfile, self.rfile):
                try:
                    stream.close()
                except (OSError, ValueError):
                    pass
        finally:
            self.server.untrack(self.connection)

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    # -- responses ------------------------------------------------------------------------

    def respond(
        self,
        status: int,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def respond_json(self, status: int, data: Any) -> None:
        self.respond(status, json.dumps(data).encode())

    def respond_errors(
        self,
        status: int,
        message: str,
        field: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.respond(status, _errors_json([_error_body(message, field)]), headers)

    def reset_connection(self) -> None:
        """Drop the connection with a TCP RST and no response."""
        self.close_connection = True
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        # The file objects hold references to the socket: close them first so that
        # closing the socket really closes the descriptor (and sends the RST) now.
        for stream in (self.wfile, self.rfile):
            try:
                stream.close()
            except OSError:
                pass
        sock.close()
        # handle_one_request and finish() still flush and close wfile.
        self.wfile = io.BytesIO()

    # -- requests -------------------------------------------------------------------------

    def read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self.respond_errors(411, "Length Required")
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError(length)
        except ValueError:
            self.close_connection = True
            self.respond_errors(400, _MSG_BAD_REQUEST)
            return None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self.respond_errors(413, "Payload Too Large")
            return None
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:  # noqa: N802
        body = self.read_body()
        if body is None:
            return
        path = urllib.parse.urlsplit(self.path).path
        loopback = self.server.loopback
        if path == MAIL_SEND_PATH:
            loopback._handle_mail_send(self, body)
        elif path.startswith(CONTROL_PREFIX):
            loopback._handle_control(self, "POST", path, body)
        else:
            loopback._count("not_found")
            self.respond_errors(404, "resource not found")

    def do_GET(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        loopback = self.server.loopback
        if path.startswith(CONTROL_PREFIX):
            loopback._handle_control(self, "GET", path, b"")
        elif path == MAIL_SEND_PATH:
            loopback._count("not_found")
            self.respond_errors(405, "method not allowed")
        else:
            loopback._count("not_found")
            self.respond_errors(404, "resource not found")

    def _other_method(self) -> None:
        body = self.read_body()
        if body is None:
            return
        self.server.loopback._count("not_found")
        path = urllib.parse.urlsplit(self.path).path
        if path == MAIL_SEND_PATH:
            self.respond_errors(405, "method not allowed")
        else:
            self.respond_errors(404, "resource not found")

    do_PUT = do_PATCH = do_DELETE = _other_method  # noqa: N815


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, loopback: SendGridLoopback):
        self.loopback = loopback
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._closing = False
        super().__init__((BIND_ADDRESS, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host name; loopback needs no lookup.
        socketserver.TCPServer.server_bind(self)
        self.server_name = BIND_ADDRESS
        self.server_port = self.server_address[1]

    def track(self, sock: socket.socket) -> None:
        with self._connections_lock:
            if not self._closing:
                self._connections.add(sock)
                return
        _shutdown_quietly(sock)

    def untrack(self, sock: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(sock)

    def close_connections(self) -> None:
        """Wake every handler thread waiting on a keep-alive connection."""
        with self._connections_lock:
            self._closing = True
            connections = list(self._connections)
        for sock in connections:
            _shutdown_quietly(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client going away (timeout, reset, closed keep-alive) is routine here.
        if isinstance(sys.exc_info()[1], OSError):
            return
        self.loopback._count("server_errors")
        super().handle_error(request, client_address)


def _shutdown_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


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
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stopping.clear()
        self._httpd = _HTTPServer(self._requested_port, self)
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

    def _handle_mail_send(self, handler: _Handler, body: bytes) -> None:
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

    def _answer_mail_send(self, handler: _Handler, body: bytes) -> None:
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
            message = _AUTH_MISSING if not authorization else _AUTH_INVALID
            handler.respond_errors(401, message)
            return

        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            payload = None
        errors = validate_mail(payload)
        if errors:
            self._count("invalid")
            handler.respond(400, _errors_json(errors))
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
            message_id=_new_message_id(),
            received_at=datetime.now(UTC),
            headers=dict(handler.headers.items()),
            payload=payload,
        )
        self._accept(mail, "accepted")
        handler.respond(202, headers=[("X-Message-Id", mail.message_id)] if with_id else [])

    def _handle_control(self, handler: _Handler, method: str, path: str, body: bytes) -> None:
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
