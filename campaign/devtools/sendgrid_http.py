"""The loopback SendGrid server's HTTP plumbing: a threading HTTP server bound to
loopback that tracks its connections (so that it can reset them), and the request
handler that reads bodies and writes answers for campaign.devtools.sendgrid_server.
"""

from __future__ import annotations

import io
import json
import socket
import socketserver
import struct
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from campaign.devtools.sendgrid_mail import MSG_BAD_REQUEST, error_body, errors_json

MAIL_SEND_PATH = "/v3/mail/send"
CONTROL_PREFIX = "/__loopback/"
BIND_ADDRESS = "127.0.0.1"

# SendGrid refuses a request body larger than 30 MB.
MAX_BODY_BYTES = 30 * 1024 * 1024

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


# ---------------------------------------------------------------------------------------
# HTTP plumbing


class Loopback(Protocol):
    """What the HTTP plumbing calls on the server it serves (SendGridLoopback), named
    here so that this module need not import it."""

    def _handle_mail_send(self, handler: LoopbackHandler, body: bytes) -> None: ...

    def _handle_control(
        self, handler: LoopbackHandler, method: str, path: str, body: bytes
    ) -> None: ...

    def _count(self, *keys: str) -> None: ...


class LoopbackHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffer the response: headers and body leave in one write, flushed by
    # handle_one_request after each request.
    wbufsize = -1
    disable_nagle_algorithm = True
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 120
    server: LoopbackHTTPServer

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
        self.respond(status, errors_json([error_body(message, field)]), headers)

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
            self.respond_errors(400, MSG_BAD_REQUEST)
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


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, loopback: Loopback):
        self.loopback = loopback
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._closing = False
        super().__init__((BIND_ADDRESS, port), LoopbackHandler)

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
