"""A word-level comparison of two letter texts, for people rather than patches.

Each side is a list of pieces (kind, text): on the old side "same" or "removed",
on the new side "same" or "added". Joined, a side's pieces give back its text
exactly, so the page can show the two texts side by side (or one above the
other on a phone) with the changed words marked, line breaks kept as they are.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from flask_babel import gettext as _

# A word, a run of spaces, or one other character: changes are shown per word and
# punctuation mark, and a line break counts as a change of its own.
_TOKEN = re.compile(r"\w+|[^\S\n]+|\n|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Comparison:
    old: list[tuple[str, str]]
    new: list[tuple[str, str]]
    changed: bool
    added_words: int
    removed_words: int


def _merged(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for kind, text in pieces:
        if out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1] + text)
        else:
            out.append((kind, text))
    return out


def _words(tokens: list[str]) -> int:
    return sum(1 for token in tokens if _WORD.match(token))


def compare(old: str, new: str) -> Comparison:
    """Compare ``old`` with ``new`` word by word (see the module's docstring)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    added = removed = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            left.append(("same", "".join(a[i1:i2])))
            right.append(("same", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(("removed", "".join(a[i1:i2])))
            removed += _words(a[i1:i2])
        if j2 > j1:
            right.append(("added", "".join(b[j1:j2])))
            added += _words(b[j1:j2])
    return Comparison(
        old=_merged(left),
        new=_merged(right),
        changed=old != new,
        added_words=added,
        removed_words=removed,
    )


def letter_text(subject: str, body: str) -> str:
    """Subject and body as one text to compare, the way the editor shows them, the
    subject's label in the reader's language."""
    return f"{_('Subject')}: {subject}\n\n{body}"
