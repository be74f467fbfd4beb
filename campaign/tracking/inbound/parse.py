"""Inbound mail into an InboundMessage: the form SendGrid Inbound Parse posts
(from_inbound_parse), and the entry points' conventions.

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
from collections.abc import Mapping
from email import policy
from email.message import Message
from email.parser import HeaderParser

from campaign.tracking.inbound.message import (
    DSN_CONTENT_TYPES,
    InboundMessage,
    InboundParseError,
    _address_list,
    _addresses,
    _decode_bytes,
    _decode_words,
    _fill_from_headers,
    _normalise_newlines,
    _one_line,
    _str_to_bytes,
    _to_str,
)
from campaign.tracking.inbound.mime import (
    _field_blocks,
    _is_report_header,
    _recipient_fields,
    _strip_mbox_line,
    from_mime,
)
from campaign.tracking.inbound.sanitize import html_to_text


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
