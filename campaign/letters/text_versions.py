"""Alternative versions of a letter's subject and paragraphs ("varied texts").

Organisers write the versions of one block between Jinja comments, so the raw
text stays a valid template that every existing check reads::

    {# versions #}First wording{# or #}Second wording{# end versions #}

Each letter draws one version of each block when the supporter submits. A draw is
a tuple of version numbers, one per block in the order the blocks appear; it is
stored with the letter next to its template version, which never changes once
published (a later publish is a new version), so a stored draw always names the
same text. The draw is decided by a seed the letter form carries from the preview
to the submission, so the preview shows the versions that are sent.

A version missing in a language (fewer versions, or no block at all) falls back
to the block's first version.
"""

from __future__ import annotations

import hashlib
import re

from flask_babel import gettext as _

from campaign.letters.letter_rules import Problem, source_problems

START, OR, END = "{# versions #}", "{# or #}", "{# end versions #}"
_SPLIT = re.compile(r"(\{# versions #\}|\{# or #\}|\{# end versions #\})")
# Enough for any campaign; far below what makes checking every version slow.
MAX_VERSIONS = 10
MAX_BLOCKS = 30


def _parts(source: str) -> list[str | list[str]]:
    """The text as plain pieces and blocks (lists of versions). Raises ValueError
    with the line of the first misplaced marker."""
    parts: list[str | list[str]] = []
    block: list[str] | None = None
    position = 0
    for piece in _SPLIT.split(source):
        line = source.count("\n", 0, position) + 1
        position += len(piece)
        if piece == START:
            if block is not None:
                raise ValueError(line, _("versions cannot be written inside versions"))
            block = [""]
        elif piece == OR:
            if block is None:
                raise ValueError(line, _("“or” is only used between versions of one block"))
            block.append("")
        elif piece == END:
            if block is None:
                raise ValueError(line, _("“end of versions” closes no block of versions"))
            parts.append(block)
            block = None
        elif block is not None:
            block[-1] += piece
        else:
            parts.append(piece)
    if block is not None:
        raise ValueError(source.count("\n") + 1, _("a block of versions is not closed"))
    return parts


def has_versions(source: str) -> bool:
    return START in source or OR in source or END in source


def blocks(source: str) -> list[list[str]]:
    """The blocks of versions of a (checked) text, in order: each a list of versions."""
    if not has_versions(source):
        return []
    return [p for p in _parts(source) if isinstance(p, list)]


def alternatives(source: str):
    """(block, version, text) for every version after the first of each block (both
    numbered from 1): the text with that version and the first of every other block.
    With the all-first text, these are the letters checked for every version."""
    found = blocks(source)
    for number, block in enumerate(found):
        for version in range(1, len(block)):
            draw = tuple(version if i == number else 0 for i in range(len(found)))
            yield number + 1, version + 1, resolve(source, draw)


def counts(source: str) -> tuple[int, ...]:
    """How many versions each block of a (checked) text has."""
    if not has_versions(source):
        return ()
    return tuple(len(p) for p in _parts(source) if isinstance(p, list))


def resolve(source: str, draw: tuple[int, ...] | list[int] = ()) -> str:
    """The plain template text with version ``draw[i]`` of block ``i``; a missing
    or out-of-range number is the block's first version."""
    if not has_versions(source):
        return source
    out, index = [], 0
    for part in _parts(source):
        if isinstance(part, list):
            chosen = draw[index] if index < len(draw) else 0
            out.append(part[chosen] if 0 <= chosen < len(part) else part[0])
            index += 1
        else:
            out.append(part)
    return "".join(out)


def draw_for(source: str, seed: str, salt: str) -> tuple[int, ...]:
    """An even, reproducible choice of one version per block: the same seed and
    salt (the letter form's token, the field and the representative) draw the same."""
    drawn = []
    for number, size in enumerate(counts(source)):
        digest = hashlib.sha256(f"{seed}|{salt}|{number}".encode()).digest()
        drawn.append(int.from_bytes(digest[:8], "big") % size)
    return tuple(drawn)


def problems(field: str, source: str) -> list[Problem]:
    """The problems of a text with versions: its blocks' structure, their number,
    and every version checked as the letter it would make (an alternative that
    breaks the sandbox is named with its block and number)."""
    if not has_versions(source):
        return []
    try:
        parts = _parts(source)
    except ValueError as exc:
        line, message = exc.args
        return [Problem(field, line, message)]
    blocks = [p for p in parts if isinstance(p, list)]
    if len(blocks) > MAX_BLOCKS:
        return [
            Problem(
                field,
                None,
                _("a letter can have at most %(limit)s blocks of versions", limit=MAX_BLOCKS),
            )
        ]
    for number, block in enumerate(blocks, start=1):
        if len(block) > MAX_VERSIONS:
            return [
                Problem(
                    field,
                    None,
                    _(
                        "block %(block)s has %(count)s versions; at most %(limit)s",
                        block=number,
                        count=len(block),
                        limit=MAX_VERSIONS,
                    ),
                )
            ]
    first = source_problems(field, resolve(source, ()))
    if first:
        return [
            Problem(
                field,
                problem.line,
                _("the first version of each block: %(problem)s", problem=problem.message),
            )
            for problem in first
        ]
    for number, version, text in alternatives(source):
        found = source_problems(field, text)
        if found:
            return [
                Problem(
                    field,
                    problem.line,
                    _(
                        "version %(version)s of block %(block)s: %(problem)s",
                        version=version,
                        block=number,
                        problem=problem.message,
                    ),
                )
                for problem in found
            ]
    return []
