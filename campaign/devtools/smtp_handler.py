"""What the loopback SMTP server does at each SMTP step (aiosmtpd handler hooks:
authentication required, refused recipients, recording at the end of DATA), the
message it records (ReceivedSMTP), and a controller that can drop connections."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import secrets
import weakref
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, LoginPassword, Session

from campaign.devtools._serving import RecordingServer


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


class SMTPHandler:
    """aiosmtpd handler hooks; the state lives on the server that owns them
    (smtp_server.SMTPLoopback)."""

    def __init__(self, owner: RecordingServer[ReceivedSMTP]):
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


class SMTPController(Controller):
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
