"""The project's own representative CSV (format name ``csv``).

One header row, then one row per representative; UTF-8, a byte-order mark is
tolerated. Columns, in the order :func:`write_csv` writes them:

============  ========  ==========================================================
column        required  meaning
============  ========  ==========================================================
external_id   yes       a stable id from the source; unique within a body
country       yes       ISO 3166-1 alpha-2 ("LT"); alpha-3 or the English name work too
body          yes       "Seimas", "European Parliament", "Ministry of Foreign Affairs"
body_kind               parliament | european_parliament | ministry; default
                        european_parliament when body is "European Parliament",
                        else parliament
title                   default MP, MEP or Minister after body_kind
name          yes
email         yes       ``mailto:`` is stripped; in a cell with several addresses
                        the first valid one is used
party
constituency
language                ISO 639-1; default the country's main language
active                  true/false (also yes/no, 1/0); default true
term
============  ========  ==========================================================

Columns are found by name in any order and any case; other columns are ignored.
The separator may be ``,``, ``;`` or a tab (spreadsheets in many European
locales save with ``;``). ``country`` and ``body`` may be left out of the file
when the organiser gives them for the whole import. When the organiser gives a
``term`` and the file has term values, only rows of that term are read;
when the file has none, the term is set on every record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask_babel import gettext as _

from campaign.core.spreadsheet import safe_cell
from campaign.people.importers.base import (
    BODY_KINDS,
    DEFAULT_TITLE,
    EUROPEAN_PARLIAMENT,
    ParseOptions,
    ParseResult,
    RepRecord,
    SkippedRow,
    clean_email,
    email_skip_reason,
    normalise_country,
    normalise_gender,
    normalise_language,
    row_ref,
    shown,
    squash,
)
from campaign.people.importers.files import decode_utf8, read_csv, select_term
from campaign.people.importers.languages import language_for

COLUMNS = (
    "external_id",
    "country",
    "body",
    "body_kind",
    "title",
    "name",
    "email",
    "party",
    "constituency",
    "language",
    "active",
    "term",
    "gender",
)

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def write_csv(records: Iterable[RepRecord]) -> str:
    """The records as this format's CSV text (header included), ready to import
    again; no cell starts a formula in a spreadsheet (see spreadsheet.safe_cell)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in records:
        cells = [
            r.external_id,
            r.country,
            r.body,
            r.body_kind,
            r.title,
            r.name,
            r.email,
            r.party,
            r.constituency,
            r.language,
            "true" if r.active else "false",
            r.term,
            r.gender,
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue()


def parse(data: bytes, opts: ParseOptions) -> ParseResult:
    required = ["external_id", "name", "email"]
    if opts.country is None:
        required.append("country")
    if opts.body is None:
        required.append("body")
    _header, rows = read_csv(
        decode_utf8(data), required=required, known=COLUMNS, what="representatives CSV"
    )
    rows = list(rows)

    rows = select_term(rows, opts.term)

    result = ParseResult()
    for number, row in rows:
        record = _record(row, opts)
        if isinstance(record, str):
            result.skipped.append(SkippedRow(row_ref(number, row.get("name", "")), record))
        else:
            result.records.append(record)
    return result


def _record(row: dict[str, str], opts: ParseOptions) -> RepRecord | str:
    """The record of one row, or the reason it cannot be imported."""
    external_id = row.get("external_id", "")
    if not external_id:
        return _("no external_id")
    name = squash(row.get("name", ""))
    if not name:
        return _("no name")

    if opts.country is not None:
        country = opts.country
    else:
        raw_country = row.get("country", "")
        if not raw_country:
            return _("no country")
        found = normalise_country(raw_country)
        if found is None:
            return _("%(value)s is not a country code", value=shown(raw_country))
        country = found

    body = opts.body if opts.body is not None else squash(row.get("body", ""))
    if not body:
        return _("no body")

    kind = row.get("body_kind", "").lower()
    if not kind and body.casefold() == EUROPEAN_PARLIAMENT.casefold():
        kind = "european_parliament"
    elif not kind:
        kind = "parliament"
    if kind not in BODY_KINDS:
        return _(
            "%(value)s is not a body_kind (use %(kinds)s)",
            value=shown(kind),
            kinds=", ".join(BODY_KINDS),
        )

    email = clean_email(row.get("email", ""))
    if email is None:
        return email_skip_reason(row.get("email", ""))

    if opts.language is not None:
        language = opts.language
    elif row.get("language"):
        found_language = normalise_language(row["language"])
        if found_language is None:
            return _("%(value)s is not an ISO 639-1 language code", value=shown(row["language"]))
        language = found_language
    else:
        language = language_for(country)

    raw_active = row.get("active", "").lower()
    if raw_active in _TRUE or not raw_active:
        active = True
    elif raw_active in _FALSE:
        active = False
    else:
        return _("active must be true or false, not %(value)s", value=shown(row["active"]))

    term = row.get("term", "") or (opts.term or "")

    return RepRecord(
        external_id=external_id,
        country=country,
        body=body,
        body_kind=kind,
        title=squash(row.get("title", "")) or DEFAULT_TITLE[kind],
        name=name,
        email=email,
        party=squash(row.get("party", "")),
        constituency=squash(row.get("constituency", "")),
        language=language,
        active=active,
        term=term,
        gender=normalise_gender(row.get("gender", "")),
    )
