"""Organisers' work on representatives: finding, editing, deactivating, and how
old each body's data is."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.delivery import address_releases
from campaign.models import Body, ImportRun, ImportRunBody, Representative, User
from campaign.people.importers.base import FIELD_LIMITS, known_language, valid_email

EDITABLE = ("title", "name", "email", "party", "constituency", "language")
STALE_AFTER_MONTHS = 6


class RepresentativeInvalid(ValueError):
    """Nothing was saved; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class RepPage:
    items: list[Representative]
    page: int
    pages: int
    total: int


def search(
    *,
    query: str = "",
    country: str = "",
    body_id: int | None = None,
    status: str = "active",
    page: int = 1,
    per_page: int = 50,
) -> RepPage:
    """Representatives matching all the given filters, by country, body and name.
    ``query`` matches name, email, party, constituency or external id (any case);
    ``status`` is "active", "inactive" or "all"."""
    statement = db.select(Representative).join(Body)
    if status == "active":
        statement = statement.filter(Representative.active.is_(True))
    elif status == "inactive":
        statement = statement.filter(Representative.active.is_(False))
    if country:
        statement = statement.filter(Representative.country == country.upper())
    if body_id:
        statement = statement.filter(Representative.body_id == body_id)
    query = query.strip()
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.filter(
            or_(
                *(
                    db.func.lower(column).like(pattern)
                    for column in (
                        Representative.name,
                        Representative.email,
                        Representative.party,
                        Representative.constituency,
                        Representative.external_id,
                    )
                )
            )
        )
    total = db.session.execute(
        db.select(db.func.count()).select_from(statement.subquery())
    ).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = db.session.execute(
        statement.order_by(
            Representative.country, Body.name, Representative.name, Representative.id
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    return RepPage(list(items), page, pages, total)


def check(values: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in EDITABLE:
        value = values.get(name) or ""
        if len(value) > FIELD_LIMITS.get(name, 200):
            errors[name] = _("At most %(limit)d characters.", limit=FIELD_LIMITS.get(name, 200))
    if not (values.get("name") or "").strip():
        errors["name"] = _("Give the name.")
    if "email" not in errors and valid_email(values.get("email") or "") is None:
        errors["email"] = _("This is not an email address.")
    if not known_language(values.get("language") or ""):
        errors["language"] = _("Give a two-letter language code, e.g. lt.")
    return errors


def update(rep: Representative, values: dict[str, Any], user: User) -> dict:
    """Change the editable fields; returns the changes. Raises RepresentativeInvalid."""
    values = {name: " ".join(str(values.get(name) or "").split()) for name in EDITABLE}
    errors = check(values)
    if errors:
        raise RepresentativeInvalid(errors)
    values["email"] = valid_email(values["email"])
    values["language"] = values["language"].lower()
    before = {name: getattr(rep, name) for name in EDITABLE}
    changes = audit.changes_between(before, values)
    if not changes:
        return {}
    for name in changes:
        setattr(rep, name, values[name])
    audit.record(
        "update",
        "representative",
        rep.id,
        "representative_changed",
        {"fields": list(changes), "name": rep.name, "body": rep.body.name},
        user=user,
        changes=changes,
    )
    if "email" in changes:
        # A flag on the old address no longer applies: its held letters go.
        db.session.flush()
        address_releases.release(rep.id, "released: an organiser corrected the address")
    db.session.commit()
    return changes


def set_active(rep: Representative, active: bool, user: User) -> bool:
    """Deactivate (no letters can be written to them) or reactivate; False when
    it already was so."""
    if rep.active == active:
        return False
    rep.active = active
    audit.record(
        "reactivate" if active else "deactivate",
        "representative",
        rep.id,
        "representative_reactivated" if active else "representative_deactivated",
        {"name": rep.name, "body": rep.body.name},
        user=user,
        changes={"active": [not active, active]},
    )
    db.session.commit()
    return True


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class BodyStatus:
    body: Body
    active: int
    inactive: int
    last_import: ImportRun | None
    stale: bool  # imported more than six months ago, or never

    @property
    def imported_on(self) -> date | None:
        return self.last_import.applied_at.date() if self.last_import else None


def body_statuses(today: date | None = None) -> list[BodyStatus]:
    """Every body with its representatives' counts and its last import."""
    today = today or date.today()
    limit = months_before(today, STALE_AFTER_MONTHS)
    counts: dict[tuple[int, bool], int] = {
        (body_id, active): number
        for body_id, active, number in db.session.execute(
            db.select(Representative.body_id, Representative.active, db.func.count()).group_by(
                Representative.body_id, Representative.active
            )
        )
    }
    last: dict[int, ImportRun] = {}
    for body_id, run in db.session.execute(
        db.select(ImportRunBody.body_id, ImportRun)
        .join(ImportRun, ImportRunBody.import_run_id == ImportRun.id)
        .filter(ImportRun.status == "applied")
        .order_by(ImportRun.applied_at, ImportRun.id)
    ):
        last[body_id] = run
    statuses = []
    for body in db.session.execute(db.select(Body).order_by(Body.country, Body.name)).scalars():
        run = last.get(body.id)
        stale = run is None or run.applied_at.date() < limit
        statuses.append(
            BodyStatus(
                body, counts.get((body.id, True), 0), counts.get((body.id, False), 0), run, stale
            )
        )
    return statuses
