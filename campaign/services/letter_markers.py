"""Letter text with readable markers instead of template code, for organisers who
do not program: ``⟦Representative's name⟧`` stands for ``{{ representative.name }}``,
``⟦If the supporter gave a city⟧ … ⟦End of condition⟧`` for an ``{% if %}`` block.

A marker stands for exactly one spelling of one tag, so a text converts to
markers and back byte for byte; tags without a marker (other conditions, filters)
stay as they are, visible and editable. Markers never span lines, so line numbers
in the checks' messages are the same in both forms. The raw text is checked by
template_checks and rendered by letter_sandbox whichever form it was edited in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .letter_rules import Problem
from .letter_sandbox import TEMPLATE_VARIABLES

OPEN, CLOSE = "⟦", "⟧"

# Plain names of the values a letter can insert; only variables the sandbox
# offers are used (see _available).
FIELD_NAMES = {
    "representative.title": "Representative's title",
    "representative.name": "Representative's name",
    "representative.salutation": "Salutation to the representative",
    "representative.body": "Representative's parliament or ministry",
    "representative.party": "Representative's party",
    "representative.constituency": "Representative's constituency",
    "supporter.name": "Supporter's name",
    "supporter.city": "Supporter's city",
    "supporter.place": "Supporter's place of residence",
    "supporter.personal_paragraph": "Supporter's paragraph",
    "figures.imprisoned": "Figure: political prisoners held now",
    "figures.released_after_sentence": "Figure: released after a full sentence",
    "figures.freed_early": "Figure: freed early",
    "figures.died_in_custody": "Figure: died in custody",
    "figures.vulnerable": "Figure: vulnerable prisoners",
    "figures.as_of": "Figure: month the figures refer to",
}
# The common conditions: a part of the letter kept only when the value is there.
CONDITION_NAMES = {
    "supporter.city": "Only if the supporter gave a city",
    "supporter.constituent": "Only for a constituent",
    "supporter.personal_paragraph": "Only if the supporter wrote a paragraph",
    "representative.constituency": "Only if the representative has a constituency",
    "representative.title": "Only if the representative has a title",
}
OTHERWISE = "Otherwise"
END = "End of condition"

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_MARKER = re.compile(f"{OPEN}([^{OPEN}{CLOSE}\\n]*){CLOSE}")


def _available(name: str) -> bool:
    namespace, _dot, attribute = name.partition(".")
    return attribute in TEMPLATE_VARIABLES.get(namespace, ())


@dataclass(frozen=True)
class Marker:
    label: str
    code: str  # the exact template text it stands for
    kind: str  # "field", "condition", "otherwise" or "end"

    @property
    def text(self) -> str:
        return f"{OPEN}{self.label}{CLOSE}"


def markers() -> list[Marker]:
    """Every marker, fields first, in the order the editor offers them."""
    found = [
        Marker(label, f"{{{{ {name} }}}}", "field")
        for name, label in FIELD_NAMES.items()
        if _available(name)
    ]
    found += [
        Marker(label, f"{{% if {name} %}}", "condition")
        for name, label in CONDITION_NAMES.items()
        if _available(name)
    ]
    found += [Marker(OTHERWISE, "{% else %}", "otherwise"), Marker(END, "{% endif %}", "end")]
    return found


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
    by_label = {m.label: m.code for m in markers()}
    problems: list[Problem] = []

    def replace(match: re.Match) -> str:
        code = by_label.get(match.group(1))
        if code is None:
            line = text.count("\n", 0, match.start()) + 1
            problems.append(
                Problem(
                    field,
                    line,
                    f"{match.group(0)} is not a marker: insert markers with the buttons, "
                    "or correct its name",
                )
            )
            return match.group(0)
        return code

    raw = _MARKER.sub(replace, text)
    for number, line in enumerate(_MARKER.sub("", raw).splitlines(), start=1):
        if OPEN in line or CLOSE in line:
            problems.append(
                Problem(field, number, f"a marker is not closed: every {OPEN} needs its {CLOSE}")
            )
    return raw, problems
