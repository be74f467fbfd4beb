"""The one interface every mail backend implements."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import base64mime
from email.headerregistry import Address
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid
from typing import Protocol

from campaign.core.redaction import without_addresses


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
# Printable ASCII that a reader shows as it is: no control characters, and no
# "=?" that would start an RFC 2047 encoded word to be decoded into other text.
_PLAIN = re.compile(r"[\x20-\x7e]*")
# Bytes of UTF-8 per encoded word: base64 of 42 bytes in its =?utf-8?b?…?= frame
# is 68 characters, so a word fits on a line after "Reply-To: " (RFC 2047 allows 75).
_WORD_BYTES = 42


def one_line(value: str) -> str:
    """A display name or subject on one line: any line break becomes a space."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


def _is_plain(text: str) -> bool:
    return _PLAIN.fullmatch(text) is not None and "=?" not in text


def encoded_words(text: str) -> str:
    """``text`` as RFC 2047 base64 encoded words of UTF-8: a reader decodes them
    once, back to ``text`` exactly, whatever it holds (encoded words included,
    which are then shown, not decoded again)."""
    data, words, start = text.encode("utf-8"), [], 0
    while start < len(data):
        end = min(len(data), start + _WORD_BYTES)
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1  # never split a character between two words
        words.append(base64mime.header_encode(data[start:end], "utf-8"))
        start = end
    return " ".join(words)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def address_header(display_name: str, addr_spec: str) -> str:
    """One mailbox as a header value, built from its two parts: the address is
    checked (PermanentMailError when it is not one address), the name is always
    a quoted string or encoded words, so no name can read as an address, a list
    of them, an encoded word or another header."""
    try:
        address = Address(addr_spec=addr_spec)
    except (ValueError, IndexError) as exc:  # CR/LF, several addresses, garbage
        raise PermanentMailError(f"invalid address: {exc}") from None
    if not address.username or not address.domain or not _is_plain(addr_spec):
        raise PermanentMailError("invalid address: not one plain address")
    name = one_line(display_name)
    if not name:
        return address.addr_spec
    shown = _quoted(name) if _is_plain(name) else encoded_words(name)
    return f"{shown} <{address.addr_spec}>"


def text_header(value: str) -> str:
    """Free text (a subject) as a header value: on one line, and encoded words
    unless it is plain ASCII, so what the reader sees is exactly ``value``."""
    text = one_line(value)
    return text if _is_plain(text) else encoded_words(text)


def to_mime(message: OutgoingMessage, message_id_domain: str = "localhost") -> Message:
    """Build the RFC 5322 message. Every header value is built here from the
    structured fields (see address_header and text_header) and stored as it is
    built: the email package's modern header parser decodes encoded words in
    what it is given and can write the decoded text back unquoted (a name
    "=?utf-8?q?Bcc=3A_x=40evil.example?=" became an address), so it never
    sees these values. An address that is not one plain address is refused
    (PermanentMailError)."""
    mime = MIMEText(message.text, "plain", "utf-8")
    headers = [
        ("From", address_header(message.from_name, message.from_email)),
        ("To", address_header(message.to_name, message.to_email)),
    ]
    if message.reply_to_email:
        headers.append(("Reply-To", address_header(message.reply_to_name, message.reply_to_email)))
    headers += [
        ("Subject", text_header(message.subject)),
        ("Date", format_datetime(datetime.now(UTC))),
        ("Message-ID", make_msgid(domain=message_id_domain)),
    ]
    for key, value in sorted(message.custom_args.items()):
        name = "X-Campaign-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-").title()
        headers.append((name, text_header(value)))
    for name, value in headers:
        if "\r" in value or "\n" in value:  # cannot happen: every value is one line
            raise PermanentMailError(f"{name} would span lines")
        mime[name] = value
    return mime
