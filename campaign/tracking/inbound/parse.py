"""Turn inbound mail into an :class:`InboundMessage`.

Two entry points:

* :func:`from_mime` takes a whole RFC 5322 message as bytes (CRLF or LF line
  endings, 8-bit bytes, an optional leading mbox ``From `` line).
* :func:`from_inbound_parse` takes the form fields SendGrid Inbound Parse posts
  to the webhook, in raw mode (the whole message in the ``email`` field) or in
  parsed mode (``headers``, ``text``, ``html``, ``from``, ``to``, ``subject``,
  ``envelope``, ``charsets``...).

Inbound mail is hostile input. Anything malformed degrades to empty values:
the webhook must be able to store whatever arrives. The only exception raised
is :class:`InboundParseError`, when there is no message at all, so the caller
can keep the raw payload for staff instead.

Conventions for the returned values:

* addresses are bare (``user@example.org``), lower-cased, without display
  names, and never contain whitespace or control characters;
* ``envelope_from`` is ``"<>"`` for the null sender used by bounces and
  auto-replies, ``""`` when unknown;
* ``message_id``, ``in_reply_to`` and ``references`` keep their angle brackets
  (``<id@host>``), as they appear in the headers;
* single-line values (subject, names, ids) have their line breaks and control
  characters replaced by spaces, so they are safe to reuse in headers;
* ``text`` and ``html`` use ``\\n`` line endings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses

from campaign.tracking.inbound.sanitize import html_to_text

__all__ = [
    "InboundMessage",
    "InboundParseError",
    "from_inbound_parse",
    "from_mime",
    "header_value",
    "header_values",
]

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


# --------------------------------------------------------------------------
# SendGrid Inbound Parse


def _str_to_bytes(value: str) -> bytes:
    """Bytes for a str that carried a MIME message.

    A str made only of U+0000..U+00FF is taken as bytes decoded one-to-one and
    restored exactly; anything else is encoded as UTF-8.
    """
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")


def _recode(value: str, charset: str) -> str:
    """Apply the charset SendGrid declared for a form field.

    Only a str whose characters all lie in U+0000..U+00FF (bytes decoded
    one-to-one) and that includes 8-bit characters is decoded again with the
    declared charset, and only when that succeeds strictly.
    """
    if not charset or not any(ord(c) > 0x7F for c in value):
        return value
    try:
        data = value.encode("latin-1")
    except UnicodeEncodeError:
        return value
    try:
        return data.decode(charset.strip().strip('"').lower())
    except (LookupError, UnicodeDecodeError, ValueError, TypeError):
        return value


def _json_object(value: str) -> dict:
    try:
        obj = json.loads(value) if value.strip() else {}
    except (ValueError, TypeError, RecursionError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _envelope(value: str) -> tuple[list[str], str | None]:
    """``to`` list and ``from`` from the envelope JSON.

    ``from`` is None when absent, ``"<>"`` for the null sender.
    """
    env = _json_object(value)
    to_value = env.get("to")
    if isinstance(to_value, str):
        to_value = [to_value]
    to: list[str] = []
    if isinstance(to_value, list):
        for item in to_value:
            if isinstance(item, str):
                for addr in _address_list([item]):
                    if addr not in to:
                        to.append(addr)
    if "from" not in env:
        return to, None
    sender = env.get("from")
    if sender is None or (isinstance(sender, str) and sender.strip() in ("", "<>")):
        return to, "<>"
    if not isinstance(sender, str):
        return to, ""
    pairs = _addresses([sender])
    return to, (pairs[0][1] if pairs else "")


class _Form:
    """Read access to Inbound Parse fields with charset handling."""

    def __init__(self, form: Mapping) -> None:
        self.fields: dict[str, object] = {}
        try:
            for key, value in form.items():
                self.fields[_to_str(key)] = value
        except Exception as exc:
            raise InboundParseError("form is not a mapping") from exc
        self.charsets = _json_object(self.raw_str("charsets"))

    def raw_str(self, name: str) -> str:
        return _to_str(self.fields.get(name))

    def get(self, name: str) -> str:
        value = self.fields.get(name)
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        charset = self.charsets.get(name)
        charset = charset if isinstance(charset, str) else ""
        if isinstance(value, bytes | bytearray):
            return _decode_bytes(bytes(value), charset or None)
        text = _to_str(value)
        return _recode(text, charset) if charset else text

    def email_bytes(self) -> bytes:
        value = self.fields.get("email")
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        return _str_to_bytes(_to_str(value))


def _fill_blank_from_form(msg: InboundMessage, form: _Form) -> None:
    """Use the form's own fields where the headers gave nothing."""
    if not msg.subject:
        msg.subject = _one_line(_decode_words(form.get("subject")))
    if not msg.from_addr:
        senders = _addresses([form.get("from")])
        if senders:
            msg.from_name, msg.from_addr = senders[0]
    if not msg.to:
        msg.to = _address_list([form.get("to")])
    if not msg.cc:
        msg.cc = _address_list([form.get("cc")])


def _dsn_from_attachments(form: _Form) -> tuple[bool, list[dict[str, str]]]:
    info = _json_object(form.raw_str("attachment-info"))
    found = False
    fields: list[dict[str, str]] = []
    for key, meta in info.items():
        if not isinstance(meta, dict):
            continue
        ctype = _to_str(meta.get("type")).split(";")[0].strip().lower()
        if ctype in DSN_CONTENT_TYPES:
            found = True
            content = form.get(_to_str(key))
            if content:
                fields += _recipient_fields(_field_blocks(content))
    return found, fields


def _from_parsed_fields(form: _Form) -> InboundMessage:
    headers_block = form.get("headers")
    text = form.get("text")
    html = form.get("html")
    sender = form.get("from")
    if not any(v.strip() for v in (headers_block, text, html, sender)):
        raise InboundParseError("no email, headers, text, html or from field")

    msg = InboundMessage()
    try:
        headers = HeaderParser(policy=policy.compat32).parsestr(
            _normalise_newlines(headers_block).lstrip("\n"), headersonly=True
        )
    except Exception:
        headers = Message()
    try:
        _fill_from_headers(msg, headers)
    except Exception:
        msg.headers = headers

    # SendGrid's own decoded fields take precedence over the header block.
    subject = _one_line(_decode_words(form.get("subject")))
    if subject:
        msg.subject = subject
    senders = _addresses([sender]) if sender.strip() else []
    if senders:
        msg.from_name, msg.from_addr = senders[0]
    for name in ("to", "cc"):
        value = form.get(name)
        if value.strip():
            addresses = _address_list([value])
            if addresses:
                setattr(msg, name, addresses)

    msg.html = _normalise_newlines(html)
    msg.text = _normalise_newlines(text)
    if not msg.text.strip() and msg.html.strip():
        msg.text = html_to_text(msg.html)

    msg.is_dsn, msg.dsn_fields = _dsn_from_attachments(form)
    if _is_report_header(headers, "delivery-status"):
        msg.is_dsn = True
    return msg


def from_inbound_parse(form: Mapping[str, str]) -> InboundMessage:
    """Build an :class:`InboundMessage` from SendGrid Inbound Parse fields.

    ``form`` is a plain mapping of field name to str (the webhook passes
    ``request.form.to_dict()``); bytes values are accepted too and decoded
    with the charset the ``charsets`` field declares. Raw mode (an ``email``
    field) is parsed with :func:`from_mime`; otherwise the parsed-mode fields
    are used. The ``envelope`` JSON gives ``envelope_to``/``envelope_from``.

    Malformed fields degrade to empty values. Raises :class:`InboundParseError`
    only when neither ``email`` nor any of ``headers``/``text``/``html``/``from``
    carries anything.
    """
    if form is None:
        raise InboundParseError("no form")
    fields = _Form(form)
    envelope_to, envelope_from = _envelope(fields.raw_str("envelope"))

    raw = fields.email_bytes()
    if _strip_mbox_line(raw).strip():
        msg = from_mime(raw)
        _fill_blank_from_form(msg, fields)
    else:
        msg = _from_parsed_fields(fields)

    msg.envelope_to = envelope_to
    if envelope_from is not None:
        msg.envelope_from = envelope_from
    return msg
