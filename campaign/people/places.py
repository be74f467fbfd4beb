"""Postcodes and places to constituencies: organisers import a table per body (CSV,
dry run first, one line per skipped row); supporters find their own constituency
by typing their postcode or place."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _

from campaign.core.extensions import db
from campaign.models import Body, PlaceConstituency, Representative

MAX_BYTES = 5_000_000
MAX_ROWS = 200_000


class PlacesFileError(ValueError):
    """The file cannot be read at all; the message is one line."""


def key_of(text: str) -> str:
    """A postcode or place as looked up: case, spaces and hyphens do not matter."""
    return "".join(ch for ch in (text or "").casefold() if ch.isalnum())[:120]


@dataclass
class PlacesPlan:
    body: Body
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # key, place, constituency
    skipped: list[str] = field(default_factory=list)  # "line N: why", one line each
    replaced: int = 0  # rows of the body's table before


def read_plan(data: bytes, body: Body) -> PlacesPlan:
    """What importing ``data`` (CSV with the columns place and constituency) for
    ``body`` would do. Rows naming a constituency no active member of the body has
    are skipped, each with its line. Raises PlacesFileError when nothing can be read."""
    if len(data) > MAX_BYTES:
        raise PlacesFileError(_("the file is larger than %(size)d MB", size=MAX_BYTES // 1_000_000))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlacesFileError(_("the file is not UTF-8 text")) from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {name.strip().lower() for name in reader.fieldnames or [] if name}
    if not {"place", "constituency"} <= columns:
        raise PlacesFileError(_("the first line must name the columns place and constituency"))
    known = {
        name.casefold(): name
        for name in db.session.execute(
            db.select(Representative.constituency)
            .filter(Representative.body_id == body.id, Representative.active.is_(True))
            .distinct()
        ).scalars()
        if name
    }
    plan = PlacesPlan(body=body)
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise PlacesFileError(_("the file has more than %(rows)d rows", rows=MAX_ROWS))
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        place, constituency = values.get("place", ""), values.get("constituency", "")
        if not key_of(place):
            plan.skipped.append(_("line %(number)d: no postcode or place", number=number))
        elif constituency.casefold() not in known:
            plan.skipped.append(
                _(
                    "line %(number)d: no member of %(body)s for the constituency '%(name)s'",
                    number=number,
                    body=body.name,
                    name=constituency,
                )
            )
        elif (key_of(place), known[constituency.casefold()]) in seen:
            plan.skipped.append(
                _(
                    "line %(number)d: %(place)s → %(name)s appears twice",
                    number=number,
                    place=place,
                    name=constituency,
                )
            )
        else:
            name = known[constituency.casefold()]
            seen.add((key_of(place), name))
            plan.rows.append((key_of(place), place[:120], name))
    if not plan.rows:
        raise PlacesFileError(_("no row names a postcode or place and a known constituency"))
    plan.replaced = db.session.execute(
        db.select(db.func.count(PlaceConstituency.id)).filter_by(body_id=body.id)
    ).scalar_one()
    return plan


def apply_plan(plan: PlacesPlan) -> None:
    """Replace the body's table with the plan's rows, in one transaction."""
    db.session.execute(db.delete(PlaceConstituency).filter_by(body_id=plan.body.id))
    db.session.add_all(
        PlaceConstituency(body_id=plan.body.id, key=key, place=place, constituency=name)
        for key, place, name in plan.rows
    )
    db.session.commit()


def constituencies_at(text: str, bodies: list[Body]) -> list[tuple[int, str]]:
    """(body id, constituency) for a postcode or place typed by a supporter, in the
    given bodies: none when unknown, several when it spans constituencies."""
    key = key_of(text)
    if not key or not bodies:
        return []
    rows = db.session.execute(
        db.select(PlaceConstituency.body_id, PlaceConstituency.constituency)
        .filter(PlaceConstituency.body_id.in_([b.id for b in bodies]), PlaceConstituency.key == key)
        .order_by(PlaceConstituency.body_id, PlaceConstituency.constituency)
    ).all()
    return [(body_id, name) for body_id, name in rows]


def bodies_with_places(bodies: list[Body]) -> list[Body]:
    """Those of ``bodies`` whose table of places organisers have imported."""
    if not bodies:
        return []
    ids = set(
        db.session.execute(
            db.select(PlaceConstituency.body_id)
            .filter(PlaceConstituency.body_id.in_([b.id for b in bodies]))
            .distinct()
        ).scalars()
    )
    return [b for b in bodies if b.id in ids]
