"""Make inbound HTML safe to show to staff, and turn HTML into plain text.

:func:`sanitize_html` keeps a conservative set of formatting tags. It drops
scripts, styles, frames, forms, event-handler attributes, ``style`` attributes
(CSS can load remote resources) and every image, so opening a reply never
contacts a tracker. Links keep only http, https and mailto targets and get
``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "html_to_text", "sanitize_html"]

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "ins",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
    }
)

ALLOWED_ATTRIBUTES = {
    "*": {"dir", "lang", "title"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}

# Removed together with everything inside them.
_DROP_WITH_CONTENT = {
    "script",
    "style",
    "head",
    "title",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "noscript",
    "template",
    "svg",
    "math",
    "select",
    "textarea",
    "button",
    "audio",
    "video",
}

_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
)


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to safe formatting (see the module docstring)."""
    if not html:
        return ""
    html = _SURROGATE_RE.sub("\ufffd", str(html)).replace("\x00", "")
    return _CLEANER.clean(html)


# --------------------------------------------------------------------------
# HTML to text

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_WS_RE = re.compile(r"[ \t\r\n\f\v\u00a0]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skip = 0
        self.pre = 0

    def _break(self) -> None:
        line = "".join(self.current)
        self.current = []
        if self.pre:
            pieces = line.split("\n")
        else:
            pieces = [_WS_RE.sub(" ", line).strip()]
        prefix = ">" * self.quote_depth
        for piece in pieces:
            if prefix:
                self.lines.append(prefix + (" " + piece if piece else ""))
            else:
                self.lines.append(piece)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "br":
            self._break()
        elif tag in _BLOCK_TAGS:
            if self.current:
                self._break()
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self._break()
        elif tag in _BLOCK_TAGS and self.current:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            if self.current:
                self._break()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.current.append(data)


def _tidy(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line.rstrip())
    return "\n".join(out).strip("\n")


# Reduces any HTML to well-formed markup of the tags the text extraction
# cares about, so the stdlib parser never sees pathological input.
_TEXT_CLEANER = nh3.Cleaner(
    tags=set(_BLOCK_TAGS | {"br"}),
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes={},
    strip_comments=True,
    link_rel=None,
)


def html_to_text(html: str) -> str:
    """Plain text of ``html``: block elements become line breaks and
    ``<blockquote>`` content is prefixed with ``>`` like a quoted reply."""
    if not html:
        return ""
    html = _SURROGATE_RE.sub("\ufffd", str(html)).replace("\x00", "")
    html = _TEXT_CLEANER.clean(html)
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
        if parser.current:
            parser._break()
        return _tidy(parser.lines)
    except Exception:
        text = re.sub(r"<[^>]*>", " ", html)
        return _tidy([_WS_RE.sub(" ", line).strip() for line in text.splitlines()])
