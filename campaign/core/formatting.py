"""Numbers, shares and durations written for the reader's language (Babel, through
Flask-Babel's locale): "1,234" or "1 234", "50 %" or "50%", "3 days" or "3 дня"."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask_babel import format_decimal, format_percent, format_timedelta, get_locale


def number(value) -> str:
    return "—" if value is None else format_decimal(value)


def percent(value, decimals: int = 0) -> str:
    """A share (0.5) as a percentage; "—" when there is none (nothing sent)."""
    if value is None:
        return "—"
    pattern = get_locale().percent_formats[None].pattern
    if decimals:
        pattern = re.sub(r"0(?=[^0#]*%)", "0." + "0" * decimals, pattern, count=1)
    return format_percent(value, format=pattern)


def duration(seconds) -> str:
    """A delay as a person says it: "5 hours", "3 days" (not "0.3 days")."""
    if seconds is None:
        return "—"
    return format_timedelta(timedelta(seconds=float(seconds)), threshold=1.5)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(number=number, percent=percent, duration=duration)
