"""SMTP backend, configured by one URL: smtp://user:pass@host:port or smtps://…
(add ?starttls=1 to upgrade a plain connection)."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from ..config import ConfigError
from .base import OutgoingMessage, PermanentMailError, TransientMailError, to_mime


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SMTPSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ConfigError("SMTP_URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ConfigError("SMTP_URL has no host name")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ConfigError("SMTP_URL has an invalid port") from None
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


class SMTPBackend:
    def __init__(self, url: str, timeout: float):
        self.settings = SMTPSettings.from_url(url)
        self.timeout = timeout

    def send(self, message: OutgoingMessage) -> str:
        mime = to_mime(message, message_id_domain=self.settings.host)
        s = self.settings
        try:
            if s.implicit_tls:
                client = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            with client:
                if s.starttls:
                    client.starttls(context=ssl.create_default_context())
                if s.username:
                    client.login(s.username, s.password or "")
                client.send_message(mime)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentMailError(f"SMTP login refused: {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            if all(400 <= code < 500 for code in codes):
                raise TransientMailError(f"SMTP recipient deferred: {sorted(codes)}") from None
            raise PermanentMailError(f"SMTP recipient refused: {sorted(codes)}") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientMailError(f"SMTP {exc.smtp_code}") from None
            raise PermanentMailError(f"SMTP {exc.smtp_code}") from None
        except (smtplib.SMTPException, socket.timeout, TimeoutError, OSError) as exc:
            raise TransientMailError(f"SMTP connection failed: {exc}") from None
        return mime["Message-ID"].strip("<>")
