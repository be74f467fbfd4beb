"""Readers for files of representatives: parliaments, the European Parliament, ministries.

Each format is a pure parser from the raw bytes of a file to a
:class:`ParseResult`; it touches neither the database nor Flask. Formats:

``csv``
    the project's own CSV, which :func:`write_csv` writes (see ``csv_format``);
``everypolitician``
    an EveryPolitician term CSV (see ``everypolitician``);
``popolo``
    Popolo JSON as published by EveryPolitician (see ``popolo``);
``ep-csv``
    the European Parliament's open-data MEP CSV (see ``ep_csv``);
``ep-api``
    person JSON from the European Parliament's open-data API v2 (see ``ep_api``).

Besides what each format skips, :func:`parse` skips a record whose
(country, body, external_id) repeats an earlier one, and a record with a value
too long for the database. Every text value is squashed (runs of whitespace,
tabs included, become one space) and then made safe for a spreadsheet: one that
would start a formula once squashed ("\t=1+2" becomes "=1+2") is stored with a
leading apostrophe, as every export writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from flask_babel import gettext as _

from campaign.core.spreadsheet import safe_cell
from campaign.people.importers import csv_format, ep_api, ep_csv, everypolitician, popolo
from campaign.people.importers.base import (
    FIELD_LIMITS,
    ImportFormatError,
    ParseOptions,
    ParseResult,
    RepRecord,
    SkippedRow,
    clean_email,
    id_ref,
    normalise_country,
    normalise_language,
    shown,
    squash,
)
from campaign.people.importers.csv_format import write_csv
from campaign.people.importers.languages import MAIN_LANGUAGE, language_for

__all__ = [
    "FORMATS",
    "MAIN_LANGUAGE",
    "ImportFormatError",
    "ParseResult",
    "RepRecord",
    "SkippedRow",
    "clean_email",
    "language_for",
    "parse",
    "write_csv",
]

_TEXT_FIELDS = ("external_id", "body", "title", "name", "party", "constituency", "term")

FORMATS = ("csv", "everypolitician", "popolo", "ep-csv", "ep-api")

_PARSERS: dict[str, Callable[[bytes, ParseOptions], ParseResult]] = {
    "csv": csv_format.parse,
    "everypolitician": everypolitician.parse,
    "popolo": popolo.parse,
    "ep-csv": ep_csv.parse,
    "ep-api": ep_api.parse,
}


def parse(
    fmt: str,
    data: bytes,
    *,
    country: str | None = None,
    body: str | None = None,
    term: str | None = None,
    language: str | None = None,
    today: date | None = None,
) -> ParseResult:
    """Read the raw bytes of a file in format ``fmt``.

    ``country`` (alpha-2) sets the country of every record; the everypolitician
    and popolo formats need it. ``body`` overrides the body's name. ``term``
    selects a legislative period where the file has several, else labels the
    records. ``language`` (ISO 639-1) overrides every record's language.
    ``today`` (default: today) decides which memberships have ended.

    Raises ImportFormatError, with a one-line reason, when the file cannot be
    read as ``fmt`` or an option is invalid.
    """
    parser = _PARSERS.get(fmt.strip().lower() if isinstance(fmt, str) else "")
    if parser is None:
        raise ImportFormatError(
            _(
                "unknown format %(format)s; choose one of: %(formats)s",
                format=repr(fmt),
                formats=", ".join(FORMATS),
            )
        )
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("data must be the raw bytes of the file")
    opts = _options(country=country, body=body, term=term, language=language, today=today)
    result = parser(bytes(data), opts)
    return _checked(result)


def _options(
    *,
    country: str | None,
    body: str | None,
    term: str | None,
    language: str | None,
    today: date | None,
) -> ParseOptions:
    country_code = None
    if country is not None and country.strip():
        country_code = normalise_country(country)
        if country_code is None:
            raise ImportFormatError(_("%(value)s is not a country code", value=shown(country)))
    language_code = None
    if language is not None and language.strip():
        language_code = normalise_language(language)
        if language_code is None:
            raise ImportFormatError(
                _("%(value)s is not an ISO 639-1 language code", value=shown(language))
            )
    body_name = squash(body) if body is not None else ""
    term_value = term.strip() if term is not None else ""
    return ParseOptions(
        today=today or date.today(),
        country=country_code,
        body=body_name or None,
        term=term_value or None,
        language=language_code,
    )


def _checked(result: ParseResult) -> ParseResult:
    """Skip repeated records and values too long for the database."""
    checked = ParseResult(skipped=list(result.skipped))
    seen: set[tuple[str, str, str]] = set()
    for record in result.records:
        # Whitespace inside a value (a line break in a CSV cell) becomes one space;
        # only then is a value checked for a formula, so no stripped tab uncovers one.
        record = replace(
            record,
            **{name: safe_cell(squash(getattr(record, name))) for name in _TEXT_FIELDS},
        )
        ref = id_ref(record.external_id, record.name)
        too_long = next(
            (
                (name, limit)
                for name, limit in FIELD_LIMITS.items()
                if len(getattr(record, name)) > limit
            ),
            None,
        )
        if too_long is not None:
            name, limit = too_long
            checked.skipped.append(
                SkippedRow(
                    ref,
                    _(
                        "%(field)s is longer than %(limit)d characters",
                        field=name,
                        limit=limit,
                    ),
                )
            )
            continue
        key = (record.country, record.body.casefold(), record.external_id)
        if key in seen:
            checked.skipped.append(
                SkippedRow(ref, _("the same external_id appears earlier in the file"))
            )
            continue
        seen.add(key)
        checked.records.append(record)
    return checked
