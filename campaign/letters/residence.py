"""What a letter may say about where its supporter lives: only what they stated.

A supporter states at most one country of residence and, for a body whose members
have constituencies, one constituency. Only the member(s) elected there are told
"I live in your constituency"; members for the country they live in are told that
much; everyone else is told nothing about residence."""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError


@dataclass(frozen=True)
class Residence:
    """Where the supporter said they live. Empty fields were not stated."""

    country: str = ""  # ISO 3166-1 alpha-2
    body_id: int | None = None  # the body whose constituency they chose
    constituency: str = ""


NOWHERE = Residence()


def _same_place(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().casefold() == b.strip().casefold()


def country_name(code: str, language: str) -> str:
    """The country's name in the letter's language (Babel's CLDR data)."""
    try:
        return Locale.parse(language or "en").territories.get(code, code)
    except (UnknownLocaleError, ValueError):
        return code


def claims(representative, residence: Residence | None, language: str) -> dict:
    """The letter's ``supporter.constituent``, ``supporter.resident`` and
    ``supporter.place`` for one recipient: constituent only when the supporter chose
    this member's constituency in this member's body (every member of a
    multi-member district, none elected from a list without one); resident when the
    country they live in is the one the recipient represents (an MEP's member state);
    place names the constituency, or else that country, or is empty."""
    residence = residence or NOWHERE
    constituency = getattr(representative, "constituency", "") or ""
    constituent = residence.body_id == getattr(representative, "body_id", None) and _same_place(
        residence.constituency, constituency
    )
    resident = constituent or (
        bool(residence.country) and residence.country == getattr(representative, "country", "")
    )
    if constituent:
        place = constituency
    elif resident:
        place = country_name(residence.country, language)
    else:
        place = ""
    return {"constituent": constituent, "resident": resident, "place": place}
