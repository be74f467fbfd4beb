"""Letter text with readable markers instead of template code, for organisers who
do not program: ``⟦Representative's name⟧`` stands for ``{{ representative.name }}``,
``⟦Only if the supporter gave a city⟧ … ⟦End of condition⟧`` for an ``{% if %}``
block, ``⟦Otherwise, for a resident of the representative's country⟧`` for an
``{% elif %}``; ``⟦Versions: one is chosen for each letter⟧ … ⟦Or this version⟧ …
⟦End of versions⟧`` for the versions of one block (letters.text_versions).

A marker stands for exactly one spelling of one tag, so a text converts to
markers and back byte for byte; tags without a marker (other conditions, filters)
stay as they are, visible and editable. Every tag of every default letter has
one (tests/test_letter_markers.py). Markers never span lines, so line numbers
in the checks' messages are the same in both forms. Markers read in the organiser's
interface language; a text with English markers is read in every language too.
The raw text is checked by template_checks and rendered by letter_sandbox
whichever form it was edited in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.letters import text_versions
from campaign.letters.letter_rules import Problem
from campaign.letters.letter_sandbox import TEMPLATE_VARIABLES

OPEN, CLOSE = "⟦", "⟧"

# Plain names of the values a letter can insert; only variables the sandbox
# offers are used (see _available).
FIELD_NAMES = {
    "representative.title": _l("Representative's title"),
    "representative.name": _l("Representative's name"),
    "representative.salutation": _l("Salutation to the representative"),
    "representative.body": _l("Representative's parliament or ministry"),
    "representative.party": _l("Representative's party"),
    "representative.constituency": _l("Representative's constituency"),
    "supporter.name": _l("Supporter's name"),
    "supporter.city": _l("Supporter's city"),
    "supporter.place": _l("Supporter's place of residence"),
    "supporter.personal_paragraph": _l("Supporter's paragraph"),
    "figures.imprisoned": _l("Figure: political prisoners held now"),
    "figures.released_after_sentence": _l("Figure: released after a full sentence"),
    "figures.freed_early": _l("Figure: freed early"),
    "figures.died_in_custody": _l("Figure: died in custody"),
    "figures.vulnerable": _l("Figure: vulnerable prisoners"),
    "figures.as_of": _l("Figure: month the figures refer to"),
}
# French elision ("d'Anne", "de Jean"), as the default letters spell it.
STARTS_WITH_VOWEL = 'representative.name[:1] in "AEIOUÀÂÉÈÊÎÔÛaeiouàâéèêîôû"'
# The common conditions: a part of the letter kept only when it holds, by the
# exact expression of its {% if … %}.
CONDITION_NAMES = {
    "supporter.city": _l("Only if the supporter gave a city"),
    "supporter.constituent": _l("Only for a constituent"),
    "supporter.resident": _l("Only for a resident of the representative's country"),
    "supporter.personal_paragraph": _l("Only if the supporter wrote a paragraph"),
    "representative.constituency": _l("Only if the representative has a constituency"),
    "representative.title": _l("Only if the representative has a title"),
    "representative.gender": _l("Only if the representative's gender is known"),
    "representative.gender == 'female'": _l("Only if the representative is a woman"),
    "representative.gender == 'male'": _l("Only if the representative is a man"),
    STARTS_WITH_VOWEL: _l("Only if the representative's name begins with a vowel"),
}
# The same as a further case of a condition ({% elif … %}): the letters' own cases.
OTHERWISE_IF_NAMES = {
    "supporter.resident": _l("Otherwise, for a resident of the representative's country"),
    "representative.gender == 'female'": _l("Otherwise, if the representative is a woman"),
    "representative.gender == 'male'": _l("Otherwise, if the representative is a man"),
}
OTHERWISE = _l("Otherwise")
END = _l("End of condition")
# Versions of one block, one drawn per letter (letters.text_versions).
VERSIONS = _l("Versions: one is chosen for each letter")
OR_VERSION = _l("Or this version")
END_VERSIONS = _l("End of versions")

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_MARKER = re.compile(f"{OPEN}([^{OPEN}{CLOSE}\\n]*){CLOSE}")


_FIELD = re.compile(r"(\w+)\.(\w+)")


def _available(expression: str) -> bool:
    """Whether the sandbox offers the field an expression starts with."""
    match = _FIELD.match(expression)
    return bool(match) and match.group(2) in TEMPLATE_VARIABLES.get(match.group(1), ())


@dataclass(frozen=True)
class Marker:
    label: str  # in the interface language
    code: str  # the exact template text it stands for
    # "field", "condition", "otherwise_if", "otherwise", "end", or for versions
    # "versions", "or_version", "end_versions"
    kind: str

    @property
    def text(self) -> str:
        return f"{OPEN}{self.label}{CLOSE}"


def markers() -> list[Marker]:
    """Every marker, fields first, in the order the editor offers them."""
    found = [
        Marker(str(label), f"{{{{ {name} }}}}", "field")
        for name, label in FIELD_NAMES.items()
        if _available(name)
    ]
    found += [
        Marker(str(label), f"{{% if {name} %}}", "condition")
        for name, label in CONDITION_NAMES.items()
        if _available(name)
    ]
    found += [
        Marker(str(label), f"{{% elif {name} %}}", "otherwise_if")
        for name, label in OTHERWISE_IF_NAMES.items()
        if _available(name)
    ]
    found += [
        Marker(str(VERSIONS), text_versions.START, "versions"),
        Marker(str(OR_VERSION), text_versions.OR, "or_version"),
        Marker(str(END_VERSIONS), text_versions.END, "end_versions"),
        # The end of a condition comes last: the editor closes conditions with it.
        Marker(str(OTHERWISE), "{% else %}", "otherwise"),
        Marker(str(END), "{% endif %}", "end"),
    ]
    return found


def _codes_by_label() -> dict[str, str]:
    """Template code by marker label: the interface language's labels, and the
    English ones (a text written before the organiser switched language)."""
    with force_locale("en"):
        english = {m.label: m.code for m in markers()}
    return {**english, **{m.label: m.code for m in markers()}}


def to_markers(raw: str) -> str | None:
    """The text with markers for every tag that has one; None when the text holds
    a marker bracket itself (it could not be told apart, so it is edited raw)."""
    if OPEN in raw or CLOSE in raw:
        return None
    by_code = {m.code: m.text for m in markers()}
    return _TAG.sub(lambda match: by_code.get(match.group(0), match.group(0)), raw)


def from_markers(text: str, field: str = "body") -> tuple[str, list[Problem]]:
    """The template text for a text with markers, and a problem (with its line)
    for every marker that is not one of ours or is left open."""
    by_label = _codes_by_label()
    problems: list[Problem] = []

    def replace(match: re.Match) -> str:
        code = by_label.get(match.group(1))
        if code is None:
            line = text.count("\n", 0, match.start()) + 1
            problems.append(
                Problem(
                    field,
                    line,
                    _(
                        "%(marker)s is not a marker: insert markers with the buttons, "
                        "or correct its name",
                        marker=match.group(0),
                    ),
                )
            )
            return match.group(0)
        return code

    raw = _MARKER.sub(replace, text)
    for number, line in enumerate(_MARKER.sub("", raw).splitlines(), start=1):
        if OPEN in line or CLOSE in line:
            problems.append(
                Problem(
                    field,
                    number,
                    _(
                        "a marker is not closed: every %(open)s needs its %(close)s",
                        open=OPEN,
                        close=CLOSE,
                    ),
                )
            )
    return raw, problems
