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
import asyncio
import dataclasses
import datetime as dt
import functools
import hmac
import ipaddress
import logging
import secrets
import socket
import ssl
import tempfile
import weakref
from collections.abc import Callable, Iterable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from campaign.devtools._serving import RecordingServer, serve_until_signalled

__all__ = ["ReceivedSMTP", "SMTPLoopback", "main"]

BIND_ADDRESS = "127.0.0.1"
SERVER_NAME = "localhost"
_START_ATTEMPTS = 5


class _DropLoginDataNotice(logging.Filter):
    """aiosmtpd logs a deprecation notice about its own Session.login_data on every
    successful AUTH; it says nothing about this server and floods benchmark output."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Session.login_data is deprecated")


_aiosmtpd_log = logging.getLogger("mail.log")
if not any(isinstance(f, _DropLoginDataNotice) for f in _aiosmtpd_log.filters):
    _aiosmtpd_log.addFilter(_DropLoginDataNotice())


@dataclasses.dataclass(frozen=True)
class ReceivedSMTP:
    """One message accepted at the end of ``DATA``.

    ``data`` holds the bytes as received (CRLF line ends); ``message`` is ``data``
    parsed with ``email.policy.default`` after turning CRLF into "\\n"."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    login: str | None = None  # the user name the client authenticated as, if any
    tls: bool = False  # whether the session ran over STARTTLS
    received_at: dt.datetime = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def subject(self) -> str | None:
        return self.message["Subject"]

    @property
    def text(self) -> str | None:
        """The text/plain body, decoded."""
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else None


def _free_port(port: int = 0) -> int:
    """A port that can be bound now: ``port`` itself (OSError if taken), or any."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As asyncio's create_server does, so that the check matches the real bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((BIND_ADDRESS, port))
        return sock.getsockname()[1]


@functools.cache
def _self_signed_certificate() -> tuple[str, str]:
    """PEM certificate and key for 127.0.0.1 / localhost, made once per process."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(SERVER_NAME),
                    x509.IPAddress(ipaddress.ip_address(BIND_ADDRESS)),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert_pem, key_pem


def _server_ssl_context() -> ssl.SSLContext:
    cert_pem, key_pem = _self_signed_certificate()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # load_cert_chain only reads files.
    with tempfile.TemporaryDirectory() as directory:
        cert_file = Path(directory, "cert.pem")
        key_file = Path(directory, "key.pem")
        cert_file.write_text(cert_pem)
        key_file.write_text(key_pem)
        context.load_cert_chain(cert_file, key_file)
    return context


class _Handler:
    """aiosmtpd handler hooks; the state lives on the SMTPLoopback."""

    def __init__(self, owner: SMTPLoopback):
        self.owner = owner

    async def handle_MAIL(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.owner.require_auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.strip().lower() in self.owner.refuse:
            self.owner._count("refused_recipients")
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        # ``data`` is kept as it came over the wire (CRLF line ends); the parsed message
        # uses "\n", so that header and body values read naturally.
        message = BytesParser(policy=policy.default).parsebytes(data.replace(b"\r\n", b"\n"))
        auth_data = session.auth_data
        login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None
        self.owner._record(
            ReceivedSMTP(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=data,
                message=message,  # type: ignore[arg-type]
                login=login,
                tls=server.transport is not None
                and server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return f"250 2.0.0 Ok: queued as {secrets.token_hex(6).upper()}"


class _Controller(Controller):
    """A Controller that can drop the connections still open when it stops.

    Controller.stop cancels the session tasks but leaves their sockets open, which
    surfaces later as ResourceWarnings."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def factory(self) -> SMTP:
        smtp = super().factory()
        self._sessions.add(smtp)
        return smtp

    def drop_connections(self, timeout: float = 5.0) -> None:
        async def drop() -> None:
            for smtp in list(self._sessions):
                original = getattr(smtp, "_original_transport", None)  # set by STARTTLS
                for transport in (smtp.transport, original):
                    if transport is not None and not transport.is_closing():
                        transport.abort()
            # Let the connection_lost callbacks run.
            for _ in range(3):
                await asyncio.sleep(0)

        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(drop(), self.loop).result(timeout)


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
        self._controller: _Controller | None = None
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
            options["tls_context"] = _server_ssl_context()
            options["require_starttls"] = True
            options["auth_require_tls"] = True
        elif self.tls_mode == "implicit":
            options["ssl_context"] = _server_ssl_context()
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
            controller = _Controller(
                _Handler(self), hostname=BIND_ADDRESS, port=port, **self._smtp_options()
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
        return _self_signed_certificate()[0]

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
