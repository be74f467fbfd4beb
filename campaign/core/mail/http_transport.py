"""A python_http_client.Client that keeps its HTTP connection open.

The sendgrid client builds every request with urllib, which opens a new TCP (and TLS)
connection each time and has no timeout unless one is set. This subclass keeps the
client's request building, headers and error classes, but sends through one
http.client connection per thread, reused across requests, always with a timeout.

A request is never sent twice here: when a reused connection turns out to be closed,
the error goes up like any other connection error and the letter is retried by the
delivery service, which decides whether a retry is safe. Connections idle for longer
than ``max_idle`` are closed before use, so a server's keep-alive timeout is rarely met.
"""

from __future__ import annotations

import http.client
import io
import json
import ssl
import threading
import time
import urllib.error
import urllib.parse
from email.message import Message

from python_http_client.client import Client, Response
from python_http_client.exceptions import handle_error


class _Response:
    """The parts of a urllib response that python_http_client.Response reads."""

    def __init__(self, status: int, body: bytes, headers: Message):
        self.status = status
        self._body = body
        self._headers = headers

    def getcode(self) -> int:
        return self.status

    def read(self) -> bytes:
        return self._body

    def info(self) -> Message:
        return self._headers


class ConnectionPool:
    """One open connection per thread to one origin (scheme, host, port)."""

    def __init__(self, base_url: str, timeout: float, max_idle: float = 30.0):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.timeout = timeout
        self.max_idle = max_idle
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()
        self._context = ssl.create_default_context() if parts.scheme == "https" else None
        self.opened = 0  # connections opened so far, for tests and benchmarks

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        last_used = getattr(self._local, "last_used", 0.0)
        if conn is not None and time.monotonic() - last_used > self.max_idle:
            conn.close()
            conn = None
        if conn is None:
            if self.scheme == "https":
                conn = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=self._context
                )
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._open.add(conn)
                self.opened += 1
        return conn

    def discard(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()
            with self._lock:
                self._open.discard(conn)

    def request(
        self, method: str, url: str, body: bytes | None, headers: dict, timeout: float | None
    ) -> tuple[int, str, Message, bytes]:
        """Send one request; returns (status, reason, headers, body). Any error closes
        the connection and propagates."""
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn = self._connection()
        if timeout is not None and timeout != self.timeout:
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
        try:
            conn.request(method, path or "/", body=body, headers=headers)
            self._local.sent_at = time.monotonic()
            self._written()
            response = conn.getresponse()
            data = response.read()
        except BaseException:
            self.discard()
            raise
        self._local.last_used = time.monotonic()
        if response.will_close:
            self.discard()
        return response.status, response.reason, response.headers, data

    def on_written(self, callback) -> None:
        """Call ``callback`` once this thread's next request has been written out
        (before its answer is read); None: no callback."""
        self._local.on_written = callback

    def _written(self) -> None:
        callback = getattr(self._local, "on_written", None)
        if callback is not None:
            self._local.on_written = None
            callback()

    def last_sent_at(self) -> float | None:
        """When (time.monotonic()) this thread's last request had left the socket."""
        return getattr(self._local, "sent_at", None)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            connections, self._open = self._open, set()
        for conn in connections:
            conn.close()


class KeepAliveClient(Client):
    """python_http_client.Client whose requests share a ConnectionPool.

    URL paths, headers, JSON bodies and error classes are the client's own; only the
    sending differs: straight through http.client, without the urllib opener the
    client builds for every request (which alone costs more than a request to a
    nearby server)."""

    def __init__(
        self,
        host,
        request_headers=None,
        version=None,
        url_path=None,
        append_slash=False,
        timeout=None,
        pool: ConnectionPool | None = None,
    ):
        super().__init__(host, request_headers, version, url_path, append_slash, timeout)
        self.pool = pool or ConnectionPool(host, timeout or 10.0)

    def _build_client(self, name=None):
        url_path = self._url_path + [name] if name else self._url_path
        return KeepAliveClient(
            host=self.host,
            version=self._version,
            request_headers=self.request_headers,
            url_path=url_path,
            append_slash=self.append_slash,
            timeout=self.timeout,
            pool=self.pool,
        )

    def __getattr__(self, name):
        if name not in self.methods:
            return super().__getattr__(name)
        method = name.upper()

        def http_request(
            request_body=None, query_params=None, request_headers=None, timeout=None, **_
        ):
            # As python_http_client.Client's http_request, minus urllib.
            if request_headers:
                self._update_headers(request_headers)
            if request_body is None:
                data = None
            elif self.request_headers.get("Content-Type", "application/json") != "application/json":
                data = request_body.encode("utf-8")
            else:
                self.request_headers.setdefault("Content-Type", "application/json")
                data = json.dumps(request_body).encode("utf-8")
            return Response(
                self._send(method, self._build_url(query_params), data, timeout or self.timeout)
            )

        return http_request

    def _send(self, method: str, url: str, data: bytes | None, timeout: float | None):
        status, reason, response_headers, body = self.pool.request(
            method, url, data, dict(self.request_headers), timeout
        )
        if status >= 400:
            error = urllib.error.HTTPError(url, status, reason, response_headers, io.BytesIO(body))
            exc = handle_error(error)
            error.close()
            raise exc
        return _Response(status, body, response_headers)

    def _make_request(self, opener, request, timeout=None):
        # Only reached through code that builds urllib requests itself.
        return self._send(
            request.get_method(), request.get_full_url(), request.data, timeout or self.timeout
        )
