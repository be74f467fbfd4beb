"""The default letters under letters/: one file per body kind and language.

A file is a block of ``Key: value`` header lines (Subject, Reviewed, Language),
a blank line, then the body: Jinja text rendered in the sandbox (see compose).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from campaign.core.resources import resource_dir

LETTERS_DIR = resource_dir("letters")


class LetterFileError(ValueError):
    """A letter file does not follow the format; the message names the file."""


@dataclass(frozen=True)
class LetterFile:
    body_kind: str
    language: str
    subject: str
    body: str
    reviewed: bool
    language_name: str
    path: Path


def parse_letter_file(path: Path) -> LetterFile:
    try:
        body_kind, language, suffix = path.name.split(".")
    except ValueError:
        raise LetterFileError(f"{path.name}: name must be <body_kind>.<lang>.txt") from None
    if suffix != "txt":
        raise LetterFileError(f"{path.name}: name must end in .txt")
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n\n")
    if not sep:
        raise LetterFileError(f"{path.name}: no blank line after the header")
    headers: dict[str, str] = {}
    for number, line in enumerate(head.splitlines(), start=1):
        key, colon, value = line.partition(":")
        if not colon:
            raise LetterFileError(f"{path.name}, line {number}: expected 'Key: value'")
        headers[key.strip().lower()] = value.strip()
    if not headers.get("subject"):
        raise LetterFileError(f"{path.name}: no Subject header")
    return LetterFile(
        body_kind=body_kind,
        language=language,
        subject=headers["subject"],
        body=body,
        reviewed=headers.get("reviewed", "no").lower() == "yes",
        language_name=headers.get("language", language),
        path=path,
    )


def default_letters(directory: Path = LETTERS_DIR) -> list[LetterFile]:
    """Every default letter, sorted by body kind then language."""
    return [parse_letter_file(p) for p in sorted(directory.glob("*.txt"))]
