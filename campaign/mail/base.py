"""The one interface every mail backend implements."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from ..models.base import utcnow
from ..redaction import without_addresses


@dataclass(frozen=True)
class OutgoingMessage:
    """A plain-text message, as the services compose it and every backend sends it."""

    to_email: str
    to_name: str
    from_email: str
    from_name: str
    subject: str
    text: str
    reply_to_email: str | None = None
    reply_to_name: str = ""
    # Opaque identifiers only (a letter id): SendGrid hands these back in events.
    custom_args: dict[str, str] = field(default_factory=dict)
    # What kind of mail this is, for logs: "letter", "confirmation", "reminder".
    kind: str = "letter"


class MailError(Exception):
    """Sending failed; str(exc) is a reason fit for a log line or a letter's record.
    Mail servers often quote the address they refused, and the recipient may be a
    supporter: every address in the reason is replaced by ``[address]``, so that it
    reaches no log, no job record in Redis and no letter's record."""

    def __init__(self, reason: str, *args):
        super().__init__(without_addresses(str(reason)), *args)


class TransientMailError(MailError):
    """Worth retrying later; ``retry_after`` (seconds) when the provider said when."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentMailError(MailError):
    """The provider refused this message for good: retrying cannot help."""


class MailBackend(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Hand the message over; return the provider's message id.
        Raises TransientMailError or PermanentMailError."""


_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def one_line(value: str) -> str:
    """A display name or subject on one line: any line break becomes a space."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


def _address(display_name: str, addr_spec: str) -> Address:
    try:
        return Address(display_name=one_line(display_name), addr_spec=addr_spec)
    except ValueError as exc:  # CR/LF or garbage in the address itself
        raise PermanentMailError(f"invalid address: {exc}") from None


def to_mime(message: OutgoingMessage, message_id_domain: str = "localhost") -> EmailMessage:
    """Build the RFC 5322 message. Headers go only through the email library, whose
    header objects refuse CR and LF, so no field can smuggle in a header; line
    breaks in names and subjects are folded to spaces first, and an address with
    one is refused (PermanentMailError)."""
    mime = EmailMessage()
    mime["From"] = _address(message.from_name, message.from_email)
    mime["To"] = _address(message.to_name, message.to_email)
    if message.reply_to_email:
        mime["Reply-To"] = _address(message.reply_to_name, message.reply_to_email)
    mime["Subject"] = one_line(message.subject)
    mime["Date"] = format_datetime(utcnow())
    mime["Message-ID"] = make_msgid(domain=message_id_domain)
    for key, value in sorted(message.custom_args.items()):
        mime[f"X-Campaign-{one_line(key).replace('_', '-').title()}"] = one_line(value)
    mime.set_content(message.text)
    return mime
