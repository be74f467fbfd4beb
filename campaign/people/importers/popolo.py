"""Popolo JSON (format name ``popolo``), as published by EveryPolitician.

A JSON object with the lists ``persons`` (required), ``organizations``,
``memberships``, ``areas`` and ``events`` (see https://www.popoloproject.com/).

* The legislative period is an ``events`` item with classification
  "legislative period". The organiser's ``term`` picks one by its id
  ("term/11") or the end of its id ("11"); by default the one with the latest
  ``start_date``. The record's ``term`` is the end of the id ("11").
* The people read are those with a membership in that period
  (``legislative_period_id``). A file without periods uses the memberships of
  the organizations classified "legislature", and a file without memberships
  uses every person.
* The body is the organiser's, else the name of the period's legislature
  organization (any organization classified "legislature" when the period names
  none).
* The address is the person's ``email``, else a ``contact_details`` item of type
  "email".
* Of a person's memberships in the period, the current one (no end date), else
  the one that started last, gives ``party`` (the name of its ``on_behalf_of_id``
  organization) and ``constituency`` (the name of its ``area_id`` area).
* A person is active unless every membership has ended (its ``end_date``, or
  the period's, is in the past) or the person has a ``death_date``.

The files carry no country, so the organiser must give one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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
    id_ref,
    listed,
    normalise_gender,
    parse_date,
    shown,
    squash,
    text,
)
from campaign.people.importers.files import load_json
from campaign.people.importers.languages import language_for

WHAT = "Popolo JSON"


def _objects(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ImportFormatError(
            _("not a %(what)s file: '%(key)s' is not a list", what=WHAT, key=key)
        )
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ImportFormatError(
                _(
                    "not a %(what)s file: %(key)s[%(index)d] is not an object",
                    what=WHAT,
                    key=key,
                    index=index,
                )
            )
    return value


class _BadDate(ValueError):
    """A date in the file that cannot be read; its message is the skip reason."""


def _date(value: Any, what: str, *, end: bool = False) -> date | None:
    try:
        return parse_date(text(value), end=end)
    except ValueError as exc:
        raise _BadDate(_("unreadable %(what)s: %(reason)s", what=what, reason=exc)) from None


def _term_suffix(event_id: str) -> str:
    return event_id.rstrip("/").rsplit("/", 1)[-1]


def parse(data: bytes, opts: ParseOptions) -> ParseResult:
    if opts.country is None:
        raise ImportFormatError(
            _("the popolo format needs --country (the file carries no country)")
        )
    document = load_json(data, what=WHAT)
    if not isinstance(document, dict) or not isinstance(document.get("persons"), list):
        raise ImportFormatError(_("not a %(what)s file: no 'persons' list", what=WHAT))
    persons = _objects(document, "persons")
    organizations = _objects(document, "organizations")
    memberships = _objects(document, "memberships")
    areas = _objects(document, "areas")
    events = _objects(document, "events")

    org_names = {text(o.get("id")): squash(text(o.get("name"))) for o in organizations}
    area_names = {text(a.get("id")): squash(text(a.get("name"))) for a in areas}
    legislatures = [
        text(o.get("id"))
        for o in organizations
        if text(o.get("classification")).lower() == "legislature"
    ]

    period = _select_period(events, opts.term)
    if period is not None:
        period_id = text(period.get("id"))
        chosen = [m for m in memberships if text(m.get("legislative_period_id")) == period_id]
        legislature_id = text(period.get("organization_id"))
        term = _term_suffix(period_id)
        try:
            period_end = _date(period.get("end_date"), "end_date of the period", end=True)
        except _BadDate as exc:
            raise ImportFormatError(str(exc)) from None
    else:
        if opts.term is not None and events:
            raise ImportFormatError(
                _("no legislative period %(term)s in the file", term=shown(opts.term))
            )
        if legislatures:
            chosen = [m for m in memberships if text(m.get("organization_id")) in legislatures]
        else:
            chosen = list(memberships)
        legislature_id = ""
        term = opts.term or ""
        period_end = None

    body = opts.body
    if body is None:
        candidates = [legislature_id, *legislatures] if legislature_id else legislatures
        body = next((org_names[c] for c in candidates if org_names.get(c)), None)
        if body is None:
            raise ImportFormatError(
                _("the file names no legislature: the popolo format needs --body")
            )

    by_person: dict[str, list[dict[str, Any]]] = {}
    for membership in chosen:
        person_id = text(membership.get("person_id"))
        if person_id:
            by_person.setdefault(person_id, []).append(membership)

    result = ParseResult()
    for index, person in enumerate(persons):
        person_id = text(person.get("id"))
        if memberships and person_id not in by_person:
            continue  # not a member in the selected period
        name = squash(text(person.get("name"))) or squash(
            f"{text(person.get('given_name'))} {text(person.get('family_name'))}"
        )
        ref = id_ref(person_id or f"persons[{index}]", name)
        try:
            record = _record(
                person,
                person_id,
                name,
                by_person.get(person_id, []),
                org_names=org_names,
                area_names=area_names,
                body=body,
                term=term,
                period_end=period_end,
                opts=opts,
            )
        except _BadDate as exc:
            record = str(exc)
        if isinstance(record, str):
            result.skipped.append(SkippedRow(ref, record))
        else:
            result.records.append(record)
    return result


def _select_period(events: list[dict[str, Any]], term: str | None) -> dict[str, Any] | None:
    periods = [e for e in events if text(e.get("classification")).lower() == "legislative period"]
    if not periods:
        return None
    if term is not None:
        for event in periods:
            event_id = text(event.get("id"))
            if term in (event_id, _term_suffix(event_id)):
                return event
        known = listed(text(e.get("id")) for e in periods)
        raise ImportFormatError(
            _(
                "no legislative period %(term)s in the file (found: %(known)s)",
                term=shown(term),
                known=known,
            )
        )

    def start(event: dict[str, Any]) -> date:
        try:
            return _date(event.get("start_date"), "start_date") or date.min
        except _BadDate:
            return date.min

    return max(reversed(periods), key=start)  # the last listed wins a tie


def _record(
    person: dict[str, Any],
    person_id: str,
    name: str,
    memberships: list[dict[str, Any]],
    *,
    org_names: dict[str, str],
    area_names: dict[str, str],
    body: str,
    term: str,
    period_end: date | None,
    opts: ParseOptions,
) -> RepRecord | str:
    if not person_id:
        return _("no id")
    if not name:
        return _("no name")

    raw_emails = [text(person.get("email"))]
    contact_details = person.get("contact_details")
    if isinstance(contact_details, list):
        raw_emails += [
            text(item.get("value"))
            for item in contact_details
            if isinstance(item, dict) and text(item.get("type")).lower() == "email"
        ]
    raw = " ".join(r for r in raw_emails if r)
    email = clean_email(raw)
    if email is None:
        return email_skip_reason(raw)

    dated = []
    for membership in memberships:
        start = _date(membership.get("start_date"), "start_date")
        end = _date(membership.get("end_date"), "end_date", end=True) or period_end
        dated.append((membership, start, end))
    dated.sort(key=lambda item: (item[2] is None, item[1] or date.min, item[2] or date.max))
    latest = dated[-1][0] if dated else {}

    active = not text(person.get("death_date"))
    if dated and all(ended(end, opts.today) for _, _, end in dated):
        active = False

    return RepRecord(
        external_id=person_id,
        country=opts.country or "",
        body=body,
        body_kind="parliament",
        title=DEFAULT_TITLE["parliament"],
        name=name,
        email=email,
        party=org_names.get(text(latest.get("on_behalf_of_id")), ""),
        constituency=area_names.get(text(latest.get("area_id")), ""),
        language=opts.language or language_for(opts.country or ""),
        active=active,
        term=term,
        gender=normalise_gender(person.get("gender")),
    )
