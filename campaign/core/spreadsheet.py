"""Cells a spreadsheet shows as text: never as a formula (CSV injection)."""

from __future__ import annotations

import csv
import io

# A spreadsheet runs a cell starting with one of these as a formula; a tab or a
# carriage return in front is dropped by some and the formula still runs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """``value`` as text for a CSV cell; one that would start a formula gets a
    leading apostrophe, which spreadsheets show as text. Numbers ("-3", "+1.5")
    stay as they are. None is the empty cell."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_text(rows: list[dict], columns: list[str] | tuple[str, ...]) -> str:
    """``rows`` as CSV with a header line, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(name)) for name in columns])
    return out.getvalue()
