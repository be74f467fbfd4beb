"""The sandboxed Jinja environment organisers' letter text is parsed and rendered in,
and the variables a letter may use. Nothing else ever parses that text.

What a text may contain is decided by letter_rules (before parsing and on the
parsed tree); compose renders only texts that pass those rules, with the output
bounded as it is produced.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from jinja2 import StrictUndefined, Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The variables a letter template may use, documented for organisers.
TEMPLATE_VARIABLES = {
    # title and salutation are in the letter's language, agreeing with gender
    # ("female", "male", or "" when the sources do not say: people.addressing).
    "representative": (
        "title",
        "name",
        "body",
        "party",
        "constituency",
        "gender",
        "salutation",
    ),  # fmt: skip
    # constituent, resident and place say only what the supporter stated (letters.residence).
    "supporter": ("name", "city", "personal_paragraph", "constituent", "resident", "place"),
    "figures": (
        "imprisoned",
        "released_after_sentence",
        "freed_early",
        "died_in_custody",
        "vulnerable",
        "as_of",
    ),
}


def _text_only(value):
    """Only text and numbers are written into a letter, never a Python object's repr."""
    if value is None or isinstance(value, str | int | float | Decimal | Undefined):
        return value
    raise SecurityError(_("only text and numbers can be written into a letter"))


class LetterSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, and no calls at all: a letter inserts values, it runs nothing
    (not even a harmless-looking '{0}'.format(…), which would print any object)."""

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        raise SecurityError(_("a letter cannot call functions or methods"))


sandbox = LetterSandbox(
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
    finalize=_text_only,
)
# A letter needs none of Jinja's globals (range, lipsum, cycler, joiner, namespace, dict),
# and only filters that shape text: none that prints objects (format, pprint, tojson,
# xmlattr), reaches attributes (attr, map) or multiplies text (replace, center, indent).
sandbox.globals.clear()
LETTER_FILTERS = (
    "upper", "lower", "title", "capitalize", "trim", "default", "d",
    "truncate", "striptags", "wordcount", "length", "first", "last",
)  # fmt: skip
sandbox.filters = {name: sandbox.filters[name] for name in LETTER_FILTERS}
