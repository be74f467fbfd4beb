"""Shared types and helpers of the representative importers.

Every format module turns the raw bytes of one file into a :class:`ParseResult`:
the representatives it could read (:class:`RepRecord`) and the rows it had to
leave out, each with a one-sentence reason (:class:`SkippedRow`). A file that
cannot be read as the format at all raises :class:`ImportFormatError`, whose
message is a single line meant for the organiser running the import. Reading the
file itself (text, CSV, JSON) is in files.

Nothing here touches the database or Flask: the import service decides what to
do with the records.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote

import pycountry
from babel import Locale, UnknownLocaleError
from email_validator import validate_email
from flask_babel import gettext as _

BODY_KINDS = ("parliament", "european_parliament", "ministry")
DEFAULT_TITLE = {"parliament": "MP", "european_parliament": "MEP", "ministry": "Minister"}
EUROPEAN_PARLIAMENT = "European Parliament"
EP_EMAIL_DOMAIN = "europarl.europa.eu"

# Widths of the matching database columns: a longer value is skipped with a
# reason rather than failing the whole import later.
FIELD_LIMITS = {
    "external_id": 120,
    "body": 200,
    "title": 40,
    "name": 200,
    "email": 320,
    "party": 200,
    "constituency": 200,
    "term": 40,
}


@dataclass(frozen=True)
class RepRecord:
    """One representative as read from a source file."""

    external_id: str  # stable id from the source (e.g. EveryPolitician uuid, EP MEP id)
    country: str  # ISO 3166-1 alpha-2, upper case ("LT")
    body: str  # the body's name: "Seimas", "European Parliament", ...
    body_kind: str  # "parliament" | "european_parliament" | "ministry"
    title: str  # "MP", "MEP", "Minister"
    name: str
    email: str  # validated and normalised
    party: str = ""
    constituency: str = ""
    language: str = ""  # ISO 639-1
    active: bool = True  # False when the membership ended or a death date is set
    term: str = ""
    # "female", "male" or "" (unknown): kept from sources that state it, so that
    # titles and salutations can agree with it.
    gender: str = ""


def normalise_gender(value) -> str:
    """ "female", "male" or "" from a source's value: female/male, f/m, or the EU's
    authority URI (…/human-sex/FEMALE)."""
    word = str(value or "").strip().rsplit("/", 1)[-1].casefold()
    return {"female": "female", "f": "female", "male": "male", "m": "male"}.get(word, "")


@dataclass(frozen=True)
class SkippedRow:
    """A row or person of the source file that gave no record."""

    ref: str  # what identifies the row to a person: "row 17 (Jane Doe)" or the source id
    reason: str  # one short sentence


@dataclass
class ParseResult:
    records: list[RepRecord] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)

    def country_counts(self) -> dict[str, int]:
        """Records per country, most first (ties alphabetical), for a dry-run summary."""
        counts = Counter(r.country for r in self.records)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


class ImportFormatError(ValueError):
    """The file cannot be read as this format; str(exc) is a one-line reason for the organiser."""


@dataclass(frozen=True)
class ParseOptions:
    """The organiser's choices, already checked and normalised by ``parse``."""

    today: date
    country: str | None = None  # alpha-2, upper case
    body: str | None = None
    term: str | None = None
    language: str | None = None  # ISO 639-1, lower case


# ---------------------------------------------------------------------------
# Small text helpers


def text(value: Any) -> str:
    """A JSON scalar as stripped text; anything else (null, lists, objects) as ""."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def squash(value: str) -> str:
    """Collapse runs of whitespace (including no-break spaces) into one space."""
    return " ".join(value.split())


def shown(value: str, limit: int = 60) -> str:
    """A value quoted for a one-line message, shortened when long."""
    value = squash(value)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return repr(value)


def listed(values: Iterable[str], limit: int = 120) -> str:
    """Distinct non-empty values, sorted and joined for a one-line message; "none" if none."""
    joined = ", ".join(sorted({squash(v) for v in values} - {""}))
    if len(joined) > limit:
        joined = joined[: limit - 1] + "…"
    return joined or "none"


def row_ref(row_number: int, name: str = "") -> str:
    name = squash(name)
    if name:
        return _("row %(number)d (%(name)s)", number=row_number, name=name)
    return _("row %(number)d", number=row_number)


def id_ref(external_id: str, name: str = "") -> str:
    external_id, name = squash(external_id), squash(name)
    return f"{external_id} ({name})" if name else external_id


# ---------------------------------------------------------------------------
# Email addresses

_EMAIL_SEPARATORS = re.compile(r"[;,\s]+")
_WRAPPING = "<>()[]\"'"


def email_candidates(raw: str) -> list[str]:
    """The address-like pieces of a cell: ``mailto:`` stripped, split on ``;``, ``,``, spaces."""
    found = []
    for piece in _EMAIL_SEPARATORS.split(raw):
        piece = piece.strip(_WRAPPING)
        if piece[:7].lower() == "mailto:":
            piece = unquote(piece[7:].split("?", 1)[0]).strip(_WRAPPING)
        if piece:
            found.append(piece)
    return found


def valid_email(candidate: str) -> str | None:
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except ValueError:  # EmailNotValidError and any encoding trouble
        return None


def clean_email(raw: str, *, prefer_domain: str | None = None) -> str | None:
    """The one address to use from a cell, or None when the cell holds no valid address.

    With ``prefer_domain`` (e.g. ``europarl.europa.eu``) an address at that domain
    or one of its subdomains wins over the others; otherwise the first valid one.
    """
    valid = [v for v in map(valid_email, email_candidates(raw)) if v]
    if not valid:
        return None
    if prefer_domain:
        preferred = prefer_domain.lower()
        for address in valid:
            domain = address.rsplit("@", 1)[1].lower()
            if domain == preferred or domain.endswith("." + preferred):
                return address
    return valid[0]


def email_skip_reason(raw: str) -> str:
    """Why :func:`clean_email` found nothing in ``raw``, naming what was there."""
    if not raw.strip():
        return _("no email address")
    if len(email_candidates(raw)) > 1:
        return _("no valid email address in %(value)s", value=shown(raw))
    return _("%(value)s is not an email address", value=shown(raw))


# ---------------------------------------------------------------------------
# Countries, languages, dates

_COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}  # codes the EU institutions use


def normalise_country(value: str) -> str | None:
    """ISO 3166-1 alpha-2 (upper case) from an alpha-2 or alpha-3 code or an English name.

    "EL" and "UK", which EU documents use for Greece and the United Kingdom, are
    accepted too. None when the value names no country.
    """
    value = squash(value)
    if not value:
        return None
    alias = _COUNTRY_ALIASES.get(value.upper())
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        return None


def normalise_language(value: str) -> str | None:
    """A known ISO 639-1 code in lower case, or None."""
    value = value.strip().lower()
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        return None
    return value if pycountry.languages.get(alpha_2=value) is not None else None


def known_language(code: str) -> bool:
    """An ISO 639-1 code that letters can be dated and numbered in."""
    if normalise_language(code or "") is None:
        return False
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")


def parse_date(value: str, *, end: bool = False) -> date | None:
    """A date from an ISO date (full or partial: ``2014``, ``2014-06``) or ``DD/MM/YYYY``.

    A time part (``T12:00:00``, `` 01:00``) is ignored. A partial date stands
    for its first day, or with ``end`` for its last day. None when empty;
    ValueError when unreadable.
    """
    value = value.strip()
    if not value:
        return None
    day_part = re.split(r"[T ]", value, maxsplit=1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(day_part, fmt).date()
        except ValueError:
            continue
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", day_part, re.ASCII)
    if match:
        year = int(match.group(1))
        month = int(match.group(2)) if match.group(2) else (12 if end else 1)
        if year >= 1 and 1 <= month <= 12:
            day = calendar.monthrange(year, month)[1] if end else 1
            return date(year, month, day)
    raise ValueError(f"{shown(value)} is not a date")


def ended(end: date | None, today: date) -> bool:
    """True when a membership with this end date is over: the end date is in the past."""
    return end is not None and end < today
