"""A campaign's optional sending window, in the recipient's local time (e.g. 08:00 to
20:00 on weekdays): when may a letter to a representative of a given country go?"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global

# Countries that span several zones: the zone of the capital, where parliaments and
# ministries sit. Others use their only zone (CLDR's territory zones).
CAPITAL_ZONES = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "EU": "Europe/Brussels",
    "MX": "America/Mexico_City",
    "NZ": "Pacific/Auckland",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
}


@cache
def country_zone(country: str) -> ZoneInfo:
    """The time zone letters to ``country`` (ISO 3166-1 alpha-2) are timed by; UTC
    when the country is unknown."""
    code = (country or "").upper()
    names = [CAPITAL_ZONES[code]] if code in CAPITAL_ZONES else []
    zones = get_global("territory_zones").get(code) or []
    names += sorted(zones, key=lambda name: (not name.startswith("Europe/"), name))
    for name in names:
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError:
            continue
    return ZoneInfo("UTC")


def next_opening(
    now: datetime,
    country: str,
    start: time | None,
    end: time | None,
    weekdays_only: bool = False,
) -> datetime:
    """``now`` when a letter to ``country`` may go at ``now``, otherwise the next
    moment the window opens (aware, UTC). A window whose end is before its start runs
    over midnight; no window (start or end missing) means any time, but weekdays_only
    still keeps weekends free."""
    zone = country_zone(country)
    local = now.astimezone(zone)
    for day_offset in range(0, 9):
        day = (local + timedelta(days=day_offset)).date()
        if weekdays_only and day.weekday() >= 5:
            continue
        for opens, closes in _intervals(day, start, end, zone):
            if closes <= local:
                continue
            if opens <= local:
                return now
            return opens.astimezone(UTC)
    return now  # unreachable for a valid window; never hold a letter forever


def _intervals(day, start: time | None, end: time | None, zone: ZoneInfo):
    """The open intervals that begin on ``day`` (local, aware)."""
    midnight = datetime.combine(day, time(0), zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
    if start is None or end is None:
        return [(midnight, next_midnight)]
    opens = datetime.combine(day, start, zone)
    if start < end:
        return [(opens, datetime.combine(day, end, zone))]
    # Over midnight: the early part of the day belongs to the previous day's window.
    return [(midnight, datetime.combine(day, end, zone)), (opens, next_midnight)]
