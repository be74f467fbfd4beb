"""Jinja's syntax errors, said to an organiser in their own language.

Jinja words its errors for programmers, in English ("expected token 'end of print
statement', got 'y'"). explain() reads the kinds a letter's author meets and says
each in plain words, through the app's catalogues; Jinja's own text stays with the
problem as its technical detail. Jinja's wording is not an interface: a message
this module does not recognise gets the general explanation, never Jinja's text
alone (tests/test_template_syntax_errors.py names every kind).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

IF, ELIF, ELSE, ENDIF = "{% if … %}", "{% elif … %}", "{% else %}", "{% endif %}"
VALUE_OPEN, VALUE_CLOSE, BLOCK_OPEN, BLOCK_CLOSE = "{{", "}}", "{%", "%}"
# How Jinja names the end of a tag in its messages.
_TOKEN_SIGNS = {
    "end of print statement": VALUE_CLOSE,
    "end of statement block": BLOCK_CLOSE,
}

_UNKNOWN_TAG = re.compile(r"Encountered unknown tag '(?P<tag>[^']*)'")
_INNERMOST = re.compile(r"The innermost block that needs to be closed is '(?P<block>\w+)'")
_END_OF_TEMPLATE = re.compile(r"unexpected end of template, expected '(?P<expected>[^']*)'", re.I)
_CHARACTER = re.compile(r"unexpected char (['\"])(?P<char>.)\1")
_UNEXPECTED = re.compile(r"unexpected '(?P<token>[^']*)'(?:, expected '(?P<expected>[^']*)')?$")
_EXPECTED_TOKEN = re.compile(r"expected token '(?P<expected>[^']*)', got '(?P<got>[^']*)'")
_NO_TEST = re.compile(r"No test named '(?P<name>[^']*)'")


def _tag(name: str) -> str:
    return "{% " + name + " %}"


def _opening(end_tag: str) -> str:
    """The tag an end, else or elif tag belongs to."""
    return "{% " + end_tag[3:] + " … %}" if end_tag.startswith("end") else IF


def _unknown_tag(tag: str, message: str) -> str:
    innermost = _INNERMOST.search(message)
    if innermost is not None:
        block = innermost.group("block")
        return _(
            "%(tag)s does not fit here: close the %(open)s above with %(close)s first",
            tag=_tag(tag),
            open="{% " + block + " … %}",
            close=_tag("end" + block),
        )
    if tag in ("elif", "else") or tag.startswith("end"):
        return _("%(tag)s has no %(open)s before it", tag=_tag(tag), open=_opening(tag))
    return _(
        "%(tag)s is not a tag a letter can use; these are: %(tags)s",
        tag=_tag(tag),
        tags=", ".join((IF, ELIF, ELSE, ENDIF)),
    )


def _unexpected(sign: str, expected: str | None) -> str:
    if expected in (")", "]"):
        return _("a bracket is not closed: “%(bracket)s” is missing", bracket=expected)
    if sign == "}":
        return _(
            "a tag ends with a single “}”: end a value with %(value_close)s "
            "and a condition with %(block_close)s",
            value_close=VALUE_CLOSE,
            block_close=BLOCK_CLOSE,
        )
    if sign in _TOKEN_SIGNS:
        return _("something is missing before %(close)s", close=_TOKEN_SIGNS[sign])
    return _("“%(sign)s” is out of place here", sign=sign)


def _expected_token(expected: str, got: str) -> str:
    if got == "=":
        return _("to compare two values write “==”, not “=”")
    if expected in _TOKEN_SIGNS:
        return _(
            "“%(word)s” is too much here: the tag should end with %(close)s",
            word=_TOKEN_SIGNS.get(got, got),
            close=_TOKEN_SIGNS[expected],
        )
    if expected == "name":
        return _("a name is missing: write the field or the filter in full")
    return _general()


def _general() -> str:
    return _(
        "this template code cannot be read: every %(value_open)s needs its %(value_close)s, "
        "every %(block_open)s its %(block_close)s; check the signs and the spelling",
        value_open=VALUE_OPEN,
        value_close=VALUE_CLOSE,
        block_open=BLOCK_OPEN,
        block_close=BLOCK_CLOSE,
    )


def explain(message: str) -> str:
    """What Jinja's syntax error ``message`` means, in the organiser's language."""
    message = message or ""
    if match := _UNKNOWN_TAG.match(message):
        return _unknown_tag(match.group("tag"), message)
    if message.startswith("Unexpected end of template") and (
        innermost := _INNERMOST.search(message)
    ):
        block = innermost.group("block")
        return _(
            "%(open)s is never closed: add %(close)s where its part ends",
            open=_tag(block),
            close=_tag("end" + block),
        )
    if match := _END_OF_TEMPLATE.match(message):
        close = _TOKEN_SIGNS.get(match.group("expected"))
        if close is not None:
            return _("the text ends inside a tag: close it with %(close)s", close=close)
        return _general()
    if message.startswith("Missing end of comment tag"):
        return _("a comment is not closed: %(open)s needs its %(close)s", open="{#", close="#}")
    if match := _CHARACTER.match(message):
        char = match.group("char")
        if char in "'\"":
            return _("a quotation mark inside a tag is not closed")
        return _("the sign “%(sign)s” cannot be used inside a tag", sign=char)
    if match := _UNEXPECTED.match(message):
        return _unexpected(match.group("token"), match.group("expected"))
    if match := _EXPECTED_TOKEN.match(message):
        return _expected_token(match.group("expected"), match.group("got"))
    if message.startswith("Expected an expression"):
        return _("a value is missing here, for example %(example)s", example="supporter.city")
    if message == "tag name expected":
        return _(
            "a tag has no name: write for example %(example)s", example=_tag("if supporter.city")
        )
    if message == "expected name or number":
        return _("a field's name is missing after the dot")
    if match := _NO_TEST.match(message):
        return _(
            "“is %(name)s” is not a check a letter can use; write for example %(example)s",
            name=match.group("name"),
            example="{% if supporter.city %}",
        )
    return _general()
