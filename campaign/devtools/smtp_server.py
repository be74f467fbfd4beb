"""A loopback SMTP server for tests and benchmarks, built on aiosmtpd.

::

    with SMTPLoopback(require_auth=("user", "secret"), refuse={"gone@example.org"}) as server:
        with smtplib.SMTP(server.host, server.port) as smtp:
            smtp.login("user", "secret")
            smtp.send_message(message)
        (received,) = server.wait_for(1)
        received.message["Subject"]

Options:

* ``require_auth=(user, password)``: AUTH PLAIN / LOGIN is offered and ``MAIL FROM`` is
  refused with 530 until the client authenticated with these credentials (a wrong
  password gets 535).
* ``tls=True`` (or ``"starttls"``): STARTTLS with a self-signed certificate for
  127.0.0.1 is offered and required before any mail or AUTH. ``tls="implicit"``: TLS
  from the first byte (``smtplib.SMTP_SSL``, smtps://). ``client_ssl_context()`` trusts
  the certificate; ``certificate_pem`` is there for clients that build their own
  context (e.g. point SSL_CERT_FILE at a copy of it).
* ``refuse``: recipient addresses answered with ``550`` at ``RCPT TO``, to exercise
  permanent failures. Changeable at run time (``server.refuse = {...}``).

As its own process: ``python -m campaign.devtools.smtp_server --port 2525`` prints
``listening on smtp://127.0.0.1:PORT`` and one line per message received.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from campaign.devtools._serving import RecordingServer, serve_until_signalled
from campaign.devtools.smtp_handler import ReceivedSMTP, SMTPController, SMTPHandler
from campaign.devtools.smtp_tls import (
    BIND_ADDRESS,
    SERVER_NAME,
    self_signed_certificate,
    server_ssl_context,
)

__all__ = ["SMTPLoopback", "main"]

_START_ATTEMPTS = 5


class _DropLoginDataNotice(logging.Filter):
    """aiosmtpd logs a deprecation notice about its own Session.login_data on every
    successful AUTH; it says nothing about this server and floods benchmark output."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Session.login_data is deprecated")


_aiosmtpd_log = logging.getLogger("mail.log")
if not any(isinstance(f, _DropLoginDataNotice) for f in _aiosmtpd_log.filters):
    _aiosmtpd_log.addFilter(_DropLoginDataNotice())


def _free_port(port: int = 0) -> int:
    """A port that can be bound now: ``port`` itself (OSError if taken), or any."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As asyncio's create_server does, so that the check matches the real bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((BIND_ADDRESS, port))
        return sock.getsockname()[1]


class SMTPLoopback(RecordingServer[ReceivedSMTP]):
    """An SMTP server on 127.0.0.1 that records what it accepts.

    ``messages``, ``wait_for``, ``clear`` and ``stats`` come from RecordingServer."""

    def __init__(
        self,
        port: int = 0,
        require_auth: tuple[str, str] | None = None,
        tls: bool | str = False,
        refuse: Iterable[str] = (),
    ):
        if tls not in (False, True, "starttls", "implicit"):
            raise ValueError(f"tls must be False, True, 'starttls' or 'implicit', not {tls!r}")
        super().__init__(("messages", "refused_recipients", "auth_failures"))
        self._requested_port = port
        self.require_auth = require_auth
        self.tls = tls
        self.tls_mode: str | None = "starttls" if tls is True else (tls or None)
        self.refuse = refuse  # type: ignore[assignment]
        self._controller: SMTPController | None = None
        self._port: int | None = None
        self.on_message: Callable[[ReceivedSMTP], None] | None = None

    # -- configuration --------------------------------------------------------------------

    @property
    def refuse(self) -> frozenset[str]:
        return self._refuse

    @refuse.setter
    def refuse(self, addresses: Iterable[str]) -> None:
        if isinstance(addresses, str):
            addresses = [addresses]
        self._refuse = frozenset(address.strip().lower() for address in addresses)

    # -- lifecycle ------------------------------------------------------------------------

    def _smtp_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "server_hostname": SERVER_NAME,
            "ident": "campaign loopback SMTP",
        }
        if self.require_auth is not None:
            options["authenticator"] = self._authenticate
        if self.tls_mode == "starttls":
            options["tls_context"] = server_ssl_context()
            options["require_starttls"] = True
            options["auth_require_tls"] = True
        elif self.tls_mode == "implicit":
            options["ssl_context"] = server_ssl_context()
            # The whole connection is encrypted; aiosmtpd only knows about STARTTLS.
            options["auth_require_tls"] = False
        else:
            # Plain-text AUTH on loopback: only offered when credentials are configured.
            options["auth_require_tls"] = self.require_auth is None
        return options

    def start(self) -> Self:
        if self._controller is not None:
            raise RuntimeError("server already started")
        attempts = _START_ATTEMPTS if self._requested_port == 0 else 1
        for attempt in range(attempts):
            # Controller needs a concrete port: pick a free one (and retry if another
            # process takes it between the pick and the bind). A taken fixed port fails
            # here at once rather than after the Controller's start-up timeout.
            port = _free_port(self._requested_port)
            controller = SMTPController(
                SMTPHandler(self), hostname=BIND_ADDRESS, port=port, **self._smtp_options()
            )
            try:
                controller.start()
            except Exception:
                _discard(controller)
                if attempt + 1 == attempts:
                    raise
                continue
            self._controller = controller
            self._port = port
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        controller = self._controller
        if controller is None:
            return
        self._controller = None
        controller.drop_connections()
        controller.stop()

    @property
    def host(self) -> str:
        return BIND_ADDRESS

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def certificate_pem(self) -> str:
        """The self-signed certificate served with ``tls`` (PEM)."""
        return self_signed_certificate()[0]

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and no other)."""
        return ssl.create_default_context(cadata=self.certificate_pem)

    # -- hooks (run in the server's event loop thread) ------------------------------------

    def _record(self, received: ReceivedSMTP) -> None:
        self._accept(received, "messages")
        if self.on_message is not None:
            self.on_message(received)

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        assert self.require_auth is not None
        user, password = self.require_auth
        ok = (
            isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, user.encode())
            and hmac.compare_digest(auth_data.password, password.encode())
        )
        if not ok:
            self._count("auth_failures")
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)


def _discard(controller: Controller) -> None:
    """Release what a controller that failed to start still holds."""
    thread = getattr(controller, "_thread", None)
    if thread is not None and thread.is_alive():
        controller.stop(no_assert=True)
        return
    if thread is not None:
        thread.join()
    if not controller.loop.is_closed():
        controller.loop.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m campaign.devtools.smtp_server",
        description="SMTP server on 127.0.0.1 that prints what it receives.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--user", help="require AUTH with this user name")
    parser.add_argument("--password", default="", help="password for --user")
    parser.add_argument(
        "--tls",
        choices=("starttls", "implicit"),
        help="require STARTTLS, or speak TLS from the start (self-signed certificate)",
    )
    parser.add_argument(
        "--refuse", action="append", default=[], help="recipient to refuse (repeatable)"
    )
    args = parser.parse_args(argv)

    def show(received: ReceivedSMTP) -> None:
        print(
            f"{received.mail_from} -> {', '.join(received.rcpt_tos)}: {received.subject}",
            flush=True,
        )

    server = SMTPLoopback(
        port=args.port,
        require_auth=(args.user, args.password) if args.user else None,
        tls=args.tls or False,
        refuse=args.refuse,
    )
    server.on_message = show
    return serve_until_signalled(server, lambda: f"smtp://{server.host}:{server.port}")


if __name__ == "__main__":
    raise SystemExit(main())
