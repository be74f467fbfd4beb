"""Reading the file a format parses: UTF-8 text, a CSV whose separator and column
names are found from its header, JSON, and the rows of one parliamentary term.
A file that cannot be read raises ImportFormatError with a one-line reason.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import gettext as _

from campaign.people.importers.base import ImportFormatError, listed, shown, squash


def decode_utf8(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); ImportFormatError otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFormatError(
            _("the file is not UTF-8 text (in a spreadsheet, save it as 'CSV UTF-8')")
        ) from None


def read_csv(
    text_: str, *, required: Iterable[str], known: Iterable[str], what: str
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Check the header of a CSV text and return its column names and its rows.

    Column names are matched without regard to case or surrounding spaces. The
    separator is whichever of ``,``, ``;`` or tab makes the most known column
    names appear in the header (spreadsheets in many European locales save with
    ``;``). Rows are numbered as a spreadsheet shows them: the header is row 1.
    Rows with only empty cells are left out. Values are stripped; missing cells
    read as "".
    """
    text_ = text_.removeprefix("\ufeff")
    if not text_.strip():
        raise ImportFormatError(_("the file is empty"))
    if "\x00" in text_:
        raise ImportFormatError(
            _("the file is not a %(what)s file: it contains binary data", what=what)
        )
    required = list(required)
    known_set = {k.lower() for k in known} | {k.lower() for k in required}
    first_line = text_.lstrip("\r\n").splitlines()[0]

    def score(delimiter: str) -> int:
        names = {n.strip().strip('"').strip().lower() for n in first_line.split(delimiter)}
        return len(names & known_set)

    delimiter = max((",", ";", "\t"), key=score)  # max keeps the first on a tie
    try:
        reader = csv.reader(io.StringIO(text_, newline=""), delimiter=delimiter, strict=False)
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportFormatError(
            _("the file is not a readable %(what)s file: %(reason)s", what=what, reason=exc)
        ) from None
    while header is not None and not any(cell.strip() for cell in header):
        header = next(reader, None)
    if header is None:
        raise ImportFormatError(_("the file is empty"))
    names = [squash(cell).lower() for cell in header]
    missing = [col for col in required if col.lower() not in names]
    if missing:
        found = ", ".join(n for n in names if n)[:120]
        raise ImportFormatError(
            _(
                "not a %(what)s file: missing column(s) %(missing)s (found: %(found)s)",
                what=what,
                missing=", ".join(missing),
                found=found,
            )
        )
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name:
            positions.setdefault(name, index)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        number = 1
        try:
            for row in reader:
                number += 1
                if not any(cell.strip() for cell in row):
                    continue
                yield (
                    number,
                    {
                        name: (row[i].strip() if i < len(row) else "")
                        for name, i in positions.items()
                    },
                )
        except csv.Error as exc:
            raise ImportFormatError(
                _("unreadable CSV at row %(number)d: %(reason)s", number=number + 1, reason=exc)
            ) from None

    return names, rows()


def load_json(data: bytes, *, what: str) -> Any:
    """Parse JSON bytes (UTF-8, -16 or -32, BOM tolerated); ImportFormatError otherwise."""
    if not data.strip():
        raise ImportFormatError(_("the file is empty"))
    try:
        decoded = data.decode(json.detect_encoding(data))
    except (UnicodeDecodeError, LookupError):
        raise ImportFormatError(
            _("the file is not a %(what)s file: it is not UTF-8 text", what=what)
        ) from None
    try:
        return json.loads(decoded.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            _(
                "the file is not a %(what)s file: invalid JSON at line %(line)d, "
                "column %(column)d (%(reason)s)",
                what=what,
                line=exc.lineno,
                column=exc.colno,
                reason=exc.msg,
            )
        ) from None
    except (ValueError, RecursionError):
        raise ImportFormatError(
            _("the file is not a %(what)s file: unreadable JSON", what=what)
        ) from None


def select_term(rows: list[tuple[int, dict]], term: str | None) -> list[tuple[int, dict]]:
    """Keep the CSV rows of one legislative term when the file has a term column
    and a term is asked for; raise ImportFormatError naming the terms present
    when none matches."""
    if term is None or not any(row.get("term") for _, row in rows):
        return rows
    selected = [(n, row) for n, row in rows if row.get("term") == term]
    if not selected:
        terms = listed(row.get("term", "") for _, row in rows)
        raise ImportFormatError(
            _(
                "no rows for term %(term)s (terms in the file: %(terms)s)",
                term=shown(term),
                terms=terms,
            )
        )
    return selected
