"""European Parliament open-data API v2 person JSON (format name ``ep-api``).

What ``https://data.europarl.europa.eu/api/v2/meps/{id}`` returns (JSON-LD):
an object whose ``data`` list holds one ``Person``. Accepted: that object, a
bare list of persons, or a single person object; several documents may be
joined into one list. Items of other types are ignored, except organizations
with a ``label``, whose names then replace ``org/NNNN`` ids.

For each person:

* ``external_id`` is ``identifier`` (the MEP id, as in the EP CSV's
  ``mep_identifier``); the name is ``givenName familyName``, else ``label``;
* the address is ``hasEmail`` (a ``mailto:`` URI); a former MEP has none and is
  skipped with that reason;
* the mandate is a ``hasMembership`` item with role ``MEMBER_PARLIAMENT``: the
  organiser's ``term`` picks the one of that parliamentary term (``10`` means
  ``org/ep-10``), by default the current one, else the one that started last.
  The country is the member state it ``represents`` (a country URI ending in an
  ISO alpha-3 code), never the person's ``citizenship``, unless the organiser
  gives a country; ``term`` is the mandate's term number;
* the person is active while that mandate has not ended and no ``deathDate`` is
  set;
* ``party`` is the national party during the mandate
  (``NATIONAL_POLITICAL_GROUP``), else the political group
  (``EU_POLITICAL_GROUP``): its label when the document has one, else its
  ``org/NNNN`` id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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
    ended,
    id_ref,
    normalise_country,
    normalise_gender,
    parse_date,
    shown,
    squash,
    text,
)
from campaign.people.importers.files import load_json
from campaign.people.importers.languages import language_for

WHAT = "EP open-data person JSON"
_MANDATE_ROLE = "MEMBER_PARLIAMENT"
_PARTY_KINDS = ("NATIONAL_POLITICAL_GROUP", "EU_POLITICAL_GROUP")

_Period = tuple[date | None, date | None]


def _items(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict):
        if "data" in document:
            document = document["data"]
        else:
            document = [document]
    if not isinstance(document, list):
        raise ImportFormatError(
            _(
                "not an %(what)s file: expected an object with a 'data' list, or a list of persons",
                what=WHAT,
            )
        )
    items: list[dict[str, Any]] = []
    for item in document:
        if isinstance(item, dict) and isinstance(item.get("data"), list):
            items.extend(item["data"])  # a list of whole API documents
        else:
            items.append(item)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ImportFormatError(
                _("not an %(what)s file: item %(index)d is not an object", what=WHAT, index=index)
            )
    return items


def _is_person(item: dict[str, Any]) -> bool:
    kind = text(item.get("type"))
    if kind:
        return kind.lower() == "person"
    return "hasMembership" in item or text(item.get("id")).startswith("person/")


def _last_segment(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


def parse(data: bytes, opts: ParseOptions) -> ParseResult:
    document = load_json(data, what=WHAT)
    items = _items(document)
    persons = [item for item in items if _is_person(item)]
    if items and not persons:
        raise ImportFormatError(_("not an %(what)s file: it holds no Person", what=WHAT))
    org_labels = {
        text(item.get("id")): squash(text(item.get("label")))
        for item in items
        if not _is_person(item) and text(item.get("id")) and text(item.get("label"))
    }
    body = opts.body or EUROPEAN_PARLIAMENT

    result = ParseResult()
    for index, person in enumerate(persons, start=1):
        external_id = text(person.get("identifier")) or text(person.get("notation_codictPersonId"))
        if not external_id and text(person.get("id")):
            external_id = _last_segment(text(person.get("id")))
        name = squash(f"{text(person.get('givenName'))} {text(person.get('familyName'))}")
        name = name or squash(text(person.get("label")))
        ref = id_ref(external_id or f"person {index}", name)
        record = _record(person, external_id, name, org_labels, body, opts)
        if isinstance(record, str):
            result.skipped.append(SkippedRow(ref, record))
        else:
            result.records.append(record)
    return result


def _emails(value: Any) -> str:
    """``hasEmail`` as text: a URI, a list of URIs, or objects with an ``id``/``hasValue``."""

    def one(item: Any) -> str:
        if isinstance(item, dict):
            return text(item.get("id")) or text(item.get("hasValue"))
        return text(item)

    values = value if isinstance(value, list) else [value]
    return " ".join(found for found in map(one, values) if found)


def _period(membership: dict[str, Any]) -> _Period:
    during = membership.get("memberDuring")
    if not isinstance(during, dict):
        return None, None
    try:
        start = parse_date(text(during.get("startDate")))
    except ValueError:
        start = None
    try:
        end = parse_date(text(during.get("endDate")), end=True)
    except ValueError:
        end = None
    return start, end


def _latest(memberships: list[tuple[dict[str, Any], _Period]]) -> tuple[dict[str, Any], _Period]:
    """The current membership, else the one that started last."""
    return max(
        reversed(memberships),
        key=lambda m: (m[1][1] is None, m[1][0] or date.min, m[1][1] or date.max),
    )


def _overlaps(a: _Period, b: _Period) -> bool:
    a_start, a_end = a[0] or date.min, a[1] or date.max
    b_start, b_end = b[0] or date.min, b[1] or date.max
    return a_start <= b_end and b_start <= a_end


def _term_of(mandate: dict[str, Any]) -> str:
    organization = _last_segment(text(mandate.get("organization")))
    return organization.removeprefix("ep-") if organization.startswith("ep-") else ""


def _record(
    person: dict[str, Any],
    external_id: str,
    name: str,
    org_labels: dict[str, str],
    body: str,
    opts: ParseOptions,
) -> RepRecord | str:
    if not external_id:
        return _("no identifier")
    if not name:
        return _("no name")
    raw_email = _emails(person.get("hasEmail"))
    email = clean_email(raw_email, prefer_domain=EP_EMAIL_DOMAIN)
    if email is None:
        return email_skip_reason(raw_email)

    raw_memberships = person.get("hasMembership")
    memberships = [
        (m, _period(m))
        for m in (raw_memberships if isinstance(raw_memberships, list) else [])
        if isinstance(m, dict)
    ]
    mandates = [
        (m, p)
        for m, p in memberships
        if _last_segment(text(m.get("role"))).upper() == _MANDATE_ROLE or "represents" in m
    ]
    if opts.term is not None:
        wanted = _last_segment(opts.term).removeprefix("ep-")
        mandates = [(m, p) for m, p in mandates if _term_of(m) == wanted]
        if not mandates:
            return _("no mandate in term %(term)s", term=squash(opts.term))
    mandate, period = _latest(mandates) if mandates else ({}, (None, None))

    if opts.country is not None:
        country = opts.country
    else:
        represents = mandate.get("represents")
        if isinstance(represents, list):
            represents = next((r for r in represents if text(r)), "")
        raw_country = text(represents)
        if not raw_country:
            return _("no member state: no mandate 'represents' a country")
        found = normalise_country(_last_segment(raw_country))
        if found is None:
            return _("%(value)s is not a country", value=shown(raw_country))
        country = found

    party = ""
    for kind in _PARTY_KINDS:
        groups = [
            (m, p)
            for m, p in memberships
            if _last_segment(text(m.get("membershipClassification"))).upper() == kind
            and (not mandate or _overlaps(p, period))
        ]
        if groups:
            organization = text(_latest(groups)[0].get("organization"))
            party = org_labels.get(organization, organization)
            break

    active = not ended(period[1], opts.today)
    if text(person.get("deathDate")):
        active = False

    return RepRecord(
        external_id=external_id,
        country=country,
        body=body,
        body_kind="european_parliament",
        title=DEFAULT_TITLE["european_parliament"],
        name=name,
        email=email,
        party=party,
        language=opts.language or language_for(country),
        active=active,
        term=(_term_of(mandate) if mandate else "") or (opts.term or ""),
        gender=normalise_gender(text(person.get("hasGender"))),
    )
