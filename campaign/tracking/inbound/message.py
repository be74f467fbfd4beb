"""What inbound mail becomes (InboundMessage), and reading its headers safely:
decoded words, one-line values, bare lower-case addresses, message ids in angle
brackets. Inbound mail is hostile input: anything malformed degrades to empty
values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

DSN_CONTENT_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACE_RE = re.compile(r"\s+")
_FOLD_RE = re.compile(r"\r\n|\r|\n")
_MSGID_RE = re.compile(r"<[^<>\s]+>")
_ADDR_FORBIDDEN_RE = re.compile(r"[\s<>\x00-\x1f\x7f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_PLAUSIBLE_ADDR_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
_BRACKETED_RE = re.compile(r"<([^<>\s]++)>")
# Longest header value decoded or parsed for addresses (a To: with several
# hundred names fits).
_MAX_ADDRESS_HEADER = 32768


class InboundParseError(ValueError):
    """Nothing that could be read as a message arrived."""


@dataclass
class InboundMessage:
    envelope_to: list[str] = field(default_factory=list)
    envelope_from: str = ""
    from_addr: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    headers: Message = field(default_factory=Message)
    text: str = ""
    html: str = ""
    raw: bytes = b""
    is_dsn: bool = False
    dsn_fields: list[dict[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------
# Text helpers


def _decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, then UTF-8, then Windows-1252.

    Never raises: unknown charsets and invalid bytes fall through to the next
    candidate, and the last one replaces what it cannot decode.
    """
    candidates = []
    if charset:
        candidates.append(str(charset).strip().strip('"').lower())
    candidates += ["utf-8"]
    for name in candidates:
        if name in ("", "unknown-8bit", "x-unknown", "8bit", "binary"):
            continue
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError, TypeError):
            continue
    return data.decode("cp1252", "replace")


def _fix_surrogates(value: str) -> str:
    """Repair 8-bit bytes the stdlib parser kept as surrogate escapes."""
    if not _SURROGATE_RE.search(value):
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATE_RE.sub("\ufffd", value)
    return _decode_bytes(data)


def _to_str(value: object) -> str:
    """Any header or form value as a str (never raises)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _fix_surrogates(value)
    if isinstance(value, bytes | bytearray):
        return _decode_bytes(bytes(value))
    if isinstance(value, list | tuple):
        return _to_str(value[0]) if value else ""
    try:
        return _fix_surrogates(str(value))
    except Exception:
        return ""


def _one_line(value: str) -> str:
    """Unfold and neutralise line breaks and control characters."""
    value = _CONTROL_RE.sub(" ", value)
    return _SPACE_RE.sub(" ", value).strip()


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; on any trouble return the input."""
    value = _FOLD_RE.sub("", value)[:_MAX_ADDRESS_HEADER]
    if "=?" not in value:
        return value
    try:
        parts = decode_header(value)
    except Exception:
        return value
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(_decode_bytes(chunk, charset))
        else:
            out.append(chunk)
    return "".join(out)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------
# Header access


def header_values(msg: Message, name: str) -> list[str]:
    """All values of header ``name`` (case-insensitive), unfolded, as str.

    8-bit bytes are repaired (UTF-8, else Windows-1252); RFC 2047 encoded words
    are left as they are.
    """
    wanted = name.lower()
    out = []
    try:
        items = msg.raw_items()
        for key, value in items:
            if str(key).lower() == wanted:
                out.append(_FOLD_RE.sub("", _to_str(value)).strip())
    except Exception:
        return out
    return out


def header_value(msg: Message, name: str) -> str:
    """The first value of header ``name``, or ``""`` (see :func:`header_values`)."""
    values = header_values(msg, name)
    return values[0] if values else ""


def _clean_addr(addr: str) -> str:
    addr = addr.strip().strip("<>").strip().lower()
    if not addr or _ADDR_FORBIDDEN_RE.search(addr):
        return ""
    return addr


def _bracketed(raw_values: list[str]) -> list[tuple[str, str]]:
    """``(name, address)`` for every ``<local@domain>`` in the values."""
    out = []
    for value in raw_values:
        previous = 0
        for m in _BRACKETED_RE.finditer(value):
            if "@" in m.group(1):
                name = value[previous : m.start()].rsplit(",", 1)[-1]
                out.append((name.strip().strip('"'), m.group(1)))
            previous = m.end()
    return out


def _plausible(addr: str) -> bool:
    return bool(_PLAUSIBLE_ADDR_RE.match(addr)) and "=?" not in addr and "?=" not in addr


def _addresses(raw_values: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs; names decoded, addresses cleaned.

    When the stdlib parser is confused (specials inside encoded words, stray
    quotes), fall back to the ``<...>`` addresses of the header.
    """
    raw_values = [_to_str(v)[:_MAX_ADDRESS_HEADER] for v in raw_values]
    try:
        pairs = getaddresses(raw_values)
    except Exception:  # includes RecursionError on deeply nested comments
        pairs = []
    if not pairs or not all(_plausible(_clean_addr(_to_str(a))) for _, a in pairs):
        bracketed = _bracketed(raw_values)
        if bracketed:
            pairs = bracketed
    out = []
    for name, addr in pairs:
        addr = _clean_addr(_to_str(addr))
        if addr:
            out.append((_one_line(_decode_words(_to_str(name))), addr))
    return out


def _address_list(raw_values: list[str]) -> list[str]:
    seen: list[str] = []
    for _, addr in _addresses(raw_values):
        if addr not in seen:
            seen.append(addr)
    return seen


def _msgids(value: str) -> list[str]:
    return _MSGID_RE.findall(_one_line(value))


def _first_msgid(value: str) -> str:
    ids = _msgids(value)
    if ids:
        return ids[0]
    return _one_line(value)[:998]


def _envelope_from_header(msg: Message) -> str:
    """The reverse-path recorded in Return-Path: ``"<>"`` when null."""
    value = header_value(msg, "Return-Path")
    if not value:
        return ""
    value = _one_line(value)
    if value.replace(" ", "") == "<>":
        return "<>"
    pairs = _addresses([value])
    return pairs[0][1] if pairs else ""


def _fill_from_headers(msg: InboundMessage, headers: Message) -> None:
    """Set the header-derived fields of ``msg`` from ``headers``."""
    msg.headers = headers
    senders = _addresses(header_values(headers, "From"))
    if senders:
        msg.from_name, msg.from_addr = senders[0]
    msg.to = _address_list(header_values(headers, "To"))
    msg.cc = _address_list(header_values(headers, "Cc"))
    msg.subject = _one_line(_decode_words(header_value(headers, "Subject")))
    msg.message_id = _first_msgid(header_value(headers, "Message-ID"))
    msg.in_reply_to = _first_msgid(header_value(headers, "In-Reply-To"))
    msg.references = _msgids(" ".join(header_values(headers, "References")))
    msg.envelope_from = _envelope_from_header(headers)


def _str_to_bytes(value: str) -> bytes:
    """Bytes for a str that carried a MIME message.

    A str made only of U+0000..U+00FF is taken as bytes decoded one-to-one and
    restored exactly; anything else is encoded as UTF-8.
    """
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")
