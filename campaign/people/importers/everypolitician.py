"""EveryPolitician term CSV (format name ``everypolitician``).

The per-term CSV files of the EveryPolitician project
(``data/<Country>/<Chamber>/term-<n>.csv``) have the columns id, name,
sort_name, email, twitter, facebook, group, group_id, area_id, area, chamber,
term, start_date, end_date, image, gender; newer files add more (wikidata ids
and the like), which are ignored. ``id``, ``name`` and ``email`` are required.

The file holds one row per person *and stint*: a member who changed
parliamentary group, or left and came back, has several rows with the same
``id``. They are merged into one record:

* the latest stint is the row without an ``end_date`` (a current one), else
  the one with the latest ``start_date``; ``party`` is its ``group``,
  ``constituency`` its ``area``;
* the person is active unless every stint has an ``end_date`` in the past;
* the address is the latest stint's, or any other stint's when that one has none.

The files carry no country, so the organiser must give one. The body is the
organiser's, else the ``chamber`` named in the file. When the organiser gives a
``term``, only rows of that term are read (a file without term values gets that
term on every record).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from flask_babel import gettext as _

from campaign.people.importers.base import (
    DEFAULT_TITLE,
    ImportFormatError,
    ParseOptions,
    ParseResult,
    RepRecord,
    SkippedRow,
    clean_email,
    email_skip_reason,
    ended,
    normalise_gender,
    parse_date,
    row_ref,
    squash,
)
from campaign.people.importers.files import decode_utf8, read_csv, select_term
from campaign.people.importers.languages import language_for

COLUMNS = (
    "id",
    "name",
    "sort_name",
    "email",
    "twitter",
    "facebook",
    "group",
    "group_id",
    "area_id",
    "area",
    "chamber",
    "term",
    "start_date",
    "end_date",
    "image",
    "gender",
)


def parse(data: bytes, opts: ParseOptions) -> ParseResult:
    if opts.country is None:
        raise ImportFormatError(
            _("the everypolitician format needs --country (the file carries no country)")
        )
    _header, row_iter = read_csv(
        decode_utf8(data),
        required=("id", "name", "email"),
        known=COLUMNS,
        what="EveryPolitician CSV",
    )
    rows = list(row_iter)

    rows = select_term(rows, opts.term)

    body = opts.body
    if body is None:
        chambers = Counter(squash(row.get("chamber", "")) for _, row in rows)
        chambers.pop("", None)
        if not chambers:
            raise ImportFormatError(
                _("the file names no chamber: the everypolitician format needs --body")
            )
        body = chambers.most_common(1)[0][0]

    result = ParseResult()
    people: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in rows:
        person_id = row.get("id", "")
        if not person_id:
            result.skipped.append(SkippedRow(row_ref(number, row.get("name", "")), _("no id")))
            continue
        people.setdefault(person_id, []).append((number, row))

    for person_id, stints in people.items():
        record = _record(person_id, stints, body, opts)
        if isinstance(record, str):
            number, row = stints[0]
            result.skipped.append(SkippedRow(row_ref(number, row.get("name", "")), record))
        else:
            result.records.append(record)
    return result


def _record(
    person_id: str, stints: list[tuple[int, dict[str, str]]], body: str, opts: ParseOptions
) -> RepRecord | str:
    dated = []
    for _number, row in stints:
        try:
            start = parse_date(row.get("start_date", ""))
            end = parse_date(row.get("end_date", ""), end=True)
        except ValueError as exc:
            return _("unreadable date: %(reason)s", reason=exc)
        dated.append((row, start, end))

    # Latest stint: a current one (no end date) first, then the latest start.
    def latest_key(item: tuple[dict[str, str], date | None, date | None]) -> tuple:
        _row, start, end = item
        return (end is None, start or date.min, end or date.max)

    ordered = sorted(dated, key=latest_key, reverse=True)
    latest = ordered[0][0]

    name = next((squash(row.get("name", "")) for row, _, _ in ordered if row.get("name")), "")
    if not name:
        return _("no name")

    raw_emails = [row.get("email", "") for row, _, _ in ordered]
    email = None
    for raw in raw_emails:
        email = clean_email(raw)
        if email:
            break
    if email is None:
        shown_raw = next((raw for raw in raw_emails if raw), "")
        return email_skip_reason(shown_raw)

    active = not all(ended(end, opts.today) for _, _, end in dated)
    country = opts.country or ""
    return RepRecord(
        external_id=person_id,
        country=country,
        body=body,
        body_kind="parliament",
        title=DEFAULT_TITLE["parliament"],
        name=name,
        email=email,
        party=squash(latest.get("group", "")),
        constituency=squash(latest.get("area", "")),
        language=opts.language or language_for(country),
        active=active,
        # Any stint that states it: later rows of one person often leave it empty.
        gender=next((g for _, row in stints if (g := normalise_gender(row.get("gender")))), ""),
        term=latest.get("term", "") or (opts.term or ""),
    )
