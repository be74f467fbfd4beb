"""European Parliament open-data MEP CSV (format name ``ep-csv``).

The MEP list of the Parliament's open-data portal (``data_v1_meps_<term>_en.csv``),
one row per MEP with the columns mep_identifier, mep_honorific_prefix,
mep_given_name, mep_family_name, mep_official_given_name,
mep_official_family_name, mep_gender, mep_citizenship, mep_place_of_birth,
mep_birthday, mep_death_date, mep_image, mep_email, mep_homepage, mep_twitter,
mep_facebook_page, mep_facebook_profile, mep_instagram, mep_URI.
``mep_identifier``, ``mep_family_name`` and ``mep_email`` are required, and
``mep_citizenship`` unless the organiser gives a country.

Traps of the published files, and what is done about them:

* they are Windows-1252, not UTF-8: the bytes are read as UTF-8 when they are
  valid UTF-8, else as Windows-1252;
* ``mep_email`` holds ``mailto:`` URIs, sometimes two or three separated by
  ``; ``: the ``@europarl.europa.eu`` address is kept, else the first valid one;
* there is no column for the member state an MEP represents, only
  ``mep_citizenship`` (an English country name), and it is wrong in places
  (dozens of Spanish MEPs are listed as citizens of Estonia). The country is
  taken from it unless the organiser gives one; a dry run shows the counts per
  country so that such errors can be caught before importing;
* there is no group or party column: ``party`` stays empty.

An MEP with a ``mep_death_date`` is inactive. The body defaults to "European
Parliament"; the term is the organiser's, if given.
"""

from __future__ import annotations

from flask_babel import gettext as _

from campaign.people.importers.base import (
    DEFAULT_TITLE,
    EP_EMAIL_DOMAIN,
    EUROPEAN_PARLIAMENT,
    ImportFormatError,
    ParseOptions,
    ParseResult,
    RepRecord,
    SkippedRow,
    clean_email,
    email_skip_reason,
    normalise_country,
    normalise_gender,
    row_ref,
    shown,
    squash,
)
from campaign.people.importers.files import read_csv
from campaign.people.importers.languages import language_for

COLUMNS = (
    "mep_identifier",
    "mep_honorific_prefix",
    "mep_given_name",
    "mep_family_name",
    "mep_official_given_name",
    "mep_official_family_name",
    "mep_gender",
    "mep_citizenship",
    "mep_place_of_birth",
    "mep_birthday",
    "mep_death_date",
    "mep_image",
    "mep_email",
    "mep_homepage",
    "mep_twitter",
    "mep_facebook_page",
    "mep_facebook_profile",
    "mep_instagram",
    "mep_uri",
)


def decode(data: bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8, else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFormatError(
            _("the file is not an EP MEP CSV file: it is neither UTF-8 nor Windows-1252 text")
        ) from None


def parse(data: bytes, opts: ParseOptions) -> ParseResult:
    required = ["mep_identifier", "mep_family_name", "mep_email"]
    if opts.country is None:
        required.append("mep_citizenship")
    _header, rows = read_csv(decode(data), required=required, known=COLUMNS, what="EP MEP CSV")
    body = opts.body or EUROPEAN_PARLIAMENT

    result = ParseResult()
    for number, row in rows:
        name = squash(f"{row.get('mep_given_name', '')} {row.get('mep_family_name', '')}")
        record = _record(row, name, body, opts)
        if isinstance(record, str):
            result.skipped.append(SkippedRow(row_ref(number, name), record))
        else:
            result.records.append(record)
    return result


def _record(row: dict[str, str], name: str, body: str, opts: ParseOptions) -> RepRecord | str:
    external_id = row.get("mep_identifier", "")
    if not external_id:
        return _("no mep_identifier")
    if not name:
        return _("no name")
    raw_email = row.get("mep_email", "")
    email = clean_email(raw_email, prefer_domain=EP_EMAIL_DOMAIN)
    if email is None:
        return email_skip_reason(raw_email)
    if opts.country is not None:
        country = opts.country
    else:
        citizenship = row.get("mep_citizenship", "")
        if not citizenship:
            return _("no mep_citizenship (give the country for the whole import)")
        found = normalise_country(citizenship)
        if found is None:
            return _("%(value)s is not a country name", value=shown(citizenship))
        country = found
    return RepRecord(
        external_id=external_id,
        country=country,
        body=body,
        body_kind="european_parliament",
        title=DEFAULT_TITLE["european_parliament"],
        name=name,
        email=email,
        language=opts.language or language_for(country),
        active=not row.get("mep_death_date", ""),
        gender=normalise_gender(row.get("mep_gender", "")),
        term=opts.term or "",
    )
