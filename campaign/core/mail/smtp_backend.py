"""SMTP backend, configured by one URL: smtp://user:pass@host:port or smtps://…
(add ?starttls=1 to upgrade a plain connection).

The URL is checked when the app starts (config.validate_delivery): a wrong scheme, a
missing host or a bad port stops the process with one line naming the problem. The
connection is kept open between messages and reopened when it has been idle or broke.

One SMTP session carries one message at a time, so a worker process sends one letter
at a time through it (its ``concurrency`` is 1, whatever SENDGRID_CONCURRENCY says):
the rate per worker is one letter per round of MAIL FROM, RCPT TO and DATA; more
letters per second need more worker processes (docs/operators/sending-rate.md).

Answers, as the delivery service sees them: a 4xx reply (or a lost connection) is a
TransientMailError, retried later; a 5xx reply, a refused recipient or refused
credentials is a PermanentMailError.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
import weakref

from campaign.core.config import SMTPSettings
from campaign.core.mail.base import OutgoingMessage, PermanentMailError, TransientMailError, to_mime

# Servers drop idle sessions after a few minutes; reconnect rather than meet that.
MAX_IDLE_SECONDS = 30.0
PROBE_AFTER_SECONDS = 2.0


class _Session:
    """The open SMTP connection, if any; held apart so a finalizer can close it."""

    def __init__(self):
        self.client: smtplib.SMTP | None = None
        self.last_used = 0.0

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


class SMTPBackend:
    # One message at a time over the one kept session (see the module docstring).
    concurrency = 1

    def __init__(self, url: str, timeout: float):
        self.settings = SMTPSettings.from_url(url)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._session_state = _Session()
        self.connections_opened = 0
        # Close the kept connection when the backend goes (an app torn down).
        weakref.finalize(self, self._session_state.close)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.implicit_tls:
            client = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        try:
            if s.starttls:
                client.starttls(context=ssl.create_default_context())
            if s.username:
                client.login(s.username, s.password or "")
        except BaseException:
            client.close()
            raise
        self.connections_opened += 1
        return client

    def _session(self) -> smtplib.SMTP:
        state = self._session_state
        idle = time.monotonic() - state.last_used
        if state.client is not None and idle > MAX_IDLE_SECONDS:
            state.close()
        if state.client is not None and idle > PROBE_AFTER_SECONDS:
            # A session the server dropped meanwhile fails here, before any message
            # is on the wire, instead of in the middle of one.
            try:
                code, _ = state.client.noop()
            except (smtplib.SMTPException, OSError):
                code = 0
            if code != 250:
                state.client.close()
                state.client = None
        if state.client is None:
            state.client = self._connect()
        return state.client

    def close(self) -> None:
        self._session_state.close()

    def send(self, message: OutgoingMessage) -> str:
        mime = to_mime(message, message_id_domain=self.settings.host)
        with self._lock:
            try:
                # The envelope comes from the structured fields, never from
                # reading the headers back.
                self._session().send_message(
                    mime, from_addr=message.from_email, to_addrs=[message.to_email]
                )
            except smtplib.SMTPRecipientsRefused as exc:
                # The session is still good (smtplib reset it): keep it.
                raise _refused(exc) from None
            except smtplib.SMTPAuthenticationError as exc:
                self.close()
                raise PermanentMailError(f"SMTP login refused: {_reply(exc)}") from None
            except smtplib.SMTPResponseException as exc:
                self.close()
                if 400 <= exc.smtp_code < 500:
                    raise TransientMailError(f"SMTP {_reply(exc)}") from None
                raise PermanentMailError(f"SMTP {_reply(exc)}") from None
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
                raise TransientMailError(f"SMTP connection failed: {reason}") from None
            self._session_state.last_used = time.monotonic()
        return mime["Message-ID"].strip("<>")


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {' '.join(str(text).split())}"[:300]


def _refused(exc: smtplib.SMTPRecipientsRefused) -> Exception:
    answers = list(exc.recipients.values())
    detail = "; ".join(
        f"{code} {(text.decode('utf-8', 'replace') if isinstance(text, bytes) else text)}"
        for code, text in answers
    )[:300]
    if all(400 <= code < 500 for code, _ in answers):
        return TransientMailError(f"SMTP recipient deferred: {detail}")
    return PermanentMailError(f"SMTP recipient refused: {detail}")
