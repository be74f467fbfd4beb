"""Record ids read from outside: forms, addresses, a provider's events."""

from __future__ import annotations

# The primary keys are PostgreSQL integers: a wider number names no row, and
# binding one fails the whole query ("integer out of range").
LARGEST_ID = 2**31 - 1


def record_id(value: object) -> int | None:
    """``value`` as a record id (ASCII digits, 1 to LARGEST_ID), else None."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    number = int(text)
    return number if 0 < number <= LARGEST_ID else None
