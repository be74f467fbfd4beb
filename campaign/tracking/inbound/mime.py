"""A whole RFC 5322 message, as bytes, read into an InboundMessage (from_mime):
its bodies (format=flowed, charsets, attachments skipped) and the delivery status
report of a bounce."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import policy
from email.message import Message
from email.parser import BytesParser

from campaign.tracking.inbound.message import (
    DSN_CONTENT_TYPES,
    InboundMessage,
    InboundParseError,
    _decode_bytes,
    _fill_from_headers,
    _normalise_newlines,
    _one_line,
    _str_to_bytes,
    _to_str,
)
from campaign.tracking.inbound.sanitize import html_to_text

# --------------------------------------------------------------------------
# Bodies


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft line breaks."""
    out: list[str] = []
    buf: str | None = None
    depth = 0

    def flush() -> None:
        nonlocal buf
        if buf is not None:
            if depth:
                out.append(">" * depth + (" " + buf if buf else ""))
            else:
                out.append(buf)
            buf = None

    for line in text.split("\n"):
        quote = len(line) - len(line.lstrip(">"))
        content = line[quote:]
        if content.startswith(" "):
            content = content[1:]
        is_sig = content == "-- "
        flowed = content.endswith(" ") and not is_sig
        if buf is not None and (quote != depth or is_sig):
            flush()
        if buf is None:
            buf, depth = "", quote
        buf += content[:-1] if (flowed and delsp) else content
        if not flowed:
            flush()
    flush()
    return "\n".join(out)


def _part_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        text = _to_str(payload) if isinstance(payload, str) else ""
    else:
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        text = _decode_bytes(bytes(data), charset)
    text = _normalise_newlines(text)
    try:
        fmt = str(part.get_param("format") or "").lower()
        delsp = str(part.get_param("delsp") or "").lower() == "yes"
    except Exception:
        fmt, delsp = "", False
    if fmt == "flowed" and part.get_content_type() == "text/plain":
        text = _unflow(text, delsp)
    return text


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:
        return False


def _subparts(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return []


def _collect_bodies(part: Message, depth: int = 0) -> tuple[list[str], list[str]]:
    """Readable text/plain and text/html bodies, not descending into
    attachments or encapsulated messages (a bounce's returned original)."""
    if depth > 50:
        return [], []
    ctype = part.get_content_type()
    if part.is_multipart():
        children = _subparts(part)
        if ctype == "multipart/alternative":
            texts: list[str] = []
            htmls: list[str] = []
            for child in children:
                t, h = _collect_bodies(child, depth + 1)
                if t and not texts:
                    texts = t
                if h:
                    htmls = h
            return texts, htmls
        texts, htmls = [], []
        for child in children:
            t, h = _collect_bodies(child, depth + 1)
            texts += t
            htmls += h
        return texts, htmls
    if ctype.startswith("message/") or _is_attachment(part):
        return [], []
    if ctype == "text/plain":
        return [_part_text(part)], []
    if ctype == "text/html":
        return [], [_part_text(part)]
    return [], []


def _iter_parts(part: Message, depth: int = 0) -> Iterator[Message]:
    """All parts outside encapsulated messages."""
    yield part
    if depth > 50 or part.get_content_type() in ("message/rfc822", "message/global"):
        return
    if part.is_multipart() and not part.get_content_type().startswith("message/"):
        for child in _subparts(part):
            yield from _iter_parts(child, depth + 1)


def _field_blocks(text: str) -> list[dict[str, str]]:
    """Parse ``Name: value`` blocks separated by blank lines."""
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\n[ \t]*\n", _normalise_newlines(text)):
        fields: dict[str, str] = {}
        last = None
        for line in chunk.split("\n"):
            if line[:1] in (" ", "\t") and last is not None:
                fields[last] = _one_line(fields[last] + " " + line)
                continue
            name, sep, value = line.partition(":")
            name = name.strip().lower()
            if not sep or not name or " " in name:
                last = None
                continue
            if name not in fields:
                fields[name] = _one_line(value)
                last = name
            else:
                last = None
        if fields:
            blocks.append(fields)
    return blocks


def _dsn_blocks(part: Message) -> list[dict[str, str]]:
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for sub in payload:
            if not isinstance(sub, Message):
                continue
            fields = {}
            for key, value in sub.raw_items():
                key = str(key).strip().lower()
                if key and key not in fields:
                    fields[key] = _one_line(_to_str(value))
            if fields:
                blocks.append(fields)
            rest = sub.get_payload()
            if isinstance(rest, str) and rest.strip():
                blocks += _field_blocks(_to_str(rest))
    elif isinstance(payload, str):
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        text = _decode_bytes(bytes(data)) if data is not None else _to_str(payload)
        blocks = _field_blocks(text)
    return blocks


_RECIPIENT_KEYS = ("final-recipient", "original-recipient", "action", "status")


def _recipient_fields(blocks: list[dict[str, str]]) -> list[dict[str, str]]:
    return [b for b in blocks if any(k in b for k in _RECIPIENT_KEYS)]


def _dsn_info(root: Message) -> tuple[bool, list[dict[str, str]]]:
    found = False
    fields: list[dict[str, str]] = []
    for part in _iter_parts(root):
        if part.get_content_type() in DSN_CONTENT_TYPES:
            found = True
            try:
                fields += _recipient_fields(_dsn_blocks(part))
            except Exception:  # noqa: S112 - a malformed report still counts as one
                continue
    return found, fields


def _is_report_header(headers: Message, report_type: str) -> bool:
    try:
        if headers.get_content_type() != "multipart/report":
            return False
        return str(headers.get_param("report-type") or "").strip().lower() == report_type
    except Exception:
        return False


# --------------------------------------------------------------------------
# Raw MIME


def _strip_mbox_line(raw: bytes) -> bytes:
    raw = raw.lstrip(b"\r\n")
    obsolete = re.match(rb"From[ \t]+:", raw)
    if obsolete:
        # "From :" (obsolete syntax) would be taken for an mbox line.
        return b"From:" + raw[obsolete.end() :]
    if raw.startswith(b"From "):
        _, _, raw = raw.partition(b"\n")
    return raw


def from_mime(raw: bytes) -> InboundMessage:
    """Parse a whole RFC 5322 message.

    Tolerates a leading mbox ``From `` line, CRLF or LF line endings, 8-bit
    bytes and broken MIME. Raises :class:`InboundParseError` only when ``raw``
    is empty or blank.
    """
    if isinstance(raw, str):
        raw = _str_to_bytes(raw)
    raw = bytes(raw or b"")
    body = _strip_mbox_line(raw)
    if not body.strip():
        raise InboundParseError("empty message")

    msg = InboundMessage(raw=raw)
    try:
        parsed = BytesParser(policy=policy.compat32).parsebytes(body)
    except Exception:
        parsed = Message()
        parsed.set_payload(_decode_bytes(body))

    try:
        _fill_from_headers(msg, parsed)
    except Exception:
        msg.headers = parsed

    try:
        texts, htmls = _collect_bodies(parsed)
    except Exception:
        texts, htmls = [], []
    msg.html = "\n".join(h for h in htmls if h.strip())
    msg.text = "\n".join(t for t in texts if t.strip())
    if not msg.text.strip() and msg.html:
        msg.text = html_to_text(msg.html)

    try:
        msg.is_dsn, msg.dsn_fields = _dsn_info(parsed)
    except Exception:
        msg.is_dsn, msg.dsn_fields = False, []
    if not msg.is_dsn and _is_report_header(parsed, "delivery-status"):
        msg.is_dsn = True
    return msg
