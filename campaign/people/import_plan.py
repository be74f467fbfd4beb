"""What importing a file of representatives would do, written nowhere: the organiser's
options, the file read (campaign.people.importers), and a *plan* comparing its records
with the database: which representatives would be created, updated (and how), left
unchanged, deactivated (with ``deactivate_missing``) and which rows are skipped and
why. The plan's digest lets a confirmation check that nothing changed since.

Representatives are matched by (body, external_id). A body is matched by its
country ("EU" for the European Parliament) and its name, ignoring case.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date

from flask_babel import gettext as _

from campaign.core.extensions import db
from campaign.models import Body, Representative
from campaign.people.importers import (
    FORMATS,
    ImportFormatError,
    ParseResult,
    RepRecord,
    SkippedRow,
    parse,
)
from campaign.people.importers.base import id_ref

# The representative's fields an import sets.
FIELDS = (
    "country",
    "title",
    "name",
    "email",
    "party",
    "constituency",
    "language",
    "active",
    "gender",
)
EU = "EU"
# Kept in an import's record for later reading; the counts are always complete.
SUMMARY_ROWS_KEPT = 2000


class ImportRejected(ValueError):
    """Nothing was written; str(exc) is a one-line reason for the organiser."""


class NothingToImport(ImportRejected):
    """No row of the file gives a representative; ``skipped`` says why for each."""

    def __init__(self, message: str, skipped: list[SkippedRow]):
        super().__init__(message)
        self.skipped = skipped


class PlanChanged(ImportRejected):
    """The database changed between the dry run and the confirmation."""


@dataclass(frozen=True)
class ImportOptions:
    """What the organiser chose for a file (see campaign.people.importers.parse)."""

    fmt: str
    country: str | None = None
    body: str | None = None
    term: str | None = None
    language: str | None = None
    deactivate_missing: bool = False

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ImportOptions:
        return cls(**{k: values.get(k) for k in cls.__dataclass_fields__ if k in values})


@dataclass
class BodyPlan:
    """What an import does to one body."""

    country: str  # the body's country: "EU" for the European Parliament
    name: str
    kind: str
    body_id: int | None  # None: the body is new and will be created
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    @property
    def label(self) -> str:
        return f"{self.country} {self.name} ({self.kind})"


@dataclass(frozen=True)
class Update:
    rep_id: int
    external_id: str
    name: str
    body: str
    changes: dict[str, tuple]  # field -> (old, new)


@dataclass(frozen=True)
class Deactivation:
    rep_id: int
    external_id: str
    name: str
    body: str


@dataclass
class ImportPlan:
    options: ImportOptions
    bodies: list[BodyPlan] = field(default_factory=list)
    creates: list[tuple[BodyPlan, RepRecord]] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0
    deactivations: list[Deactivation] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    countries: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.creates),
            "updated": len(self.updates),
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "deactivated": len(self.deactivations),
        }

    def listing(self) -> dict[str, list[dict]]:
        """Every change the plan would make, by kind, in file order: what the dry
        run lists name by name (created, updated, deactivated, skipped)."""
        return {
            "created": [
                {"name": r.name, "external_id": r.external_id, "body": b.label, "email": r.email}
                for b, r in self.creates
            ],
            "updated": [
                {
                    "name": u.name,
                    "external_id": u.external_id,
                    "body": u.body,
                    "changes": {k: list(v) for k, v in u.changes.items()},
                }
                for u in self.updates
            ],
            "deactivated": [
                {"name": d.name, "external_id": d.external_id, "body": d.body}
                for d in self.deactivations
            ],
            "skipped": [{"ref": s.ref, "reason": s.reason} for s in self.skipped],
        }

    def summary_line(self) -> str:
        c = self.counts
        return (
            f"created={c['created']} updated={c['updated']} "
            f"unchanged={c['unchanged']} skipped={c['skipped']}"
        )

    def digest(self) -> str:
        """A fingerprint of exactly what applying would write."""
        payload = {
            "creates": [[b.country, b.name, b.kind, asdict(r)] for b, r in self.creates],
            "updates": [
                [u.rep_id, {k: list(v) for k, v in u.changes.items()}] for u in self.updates
            ],
            "deactivate": [d.rep_id for d in self.deactivations],
            "bodies": [[b.country, b.name, b.kind, b.body_id] for b in self.bodies],
        }
        encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()

    def summary(self) -> dict:
        """The plan as JSON for the import's record."""
        return {
            "countries": self.countries,
            "bodies": [
                {
                    "country": b.country,
                    "name": b.name,
                    "kind": b.kind,
                    "records": b.records,
                    "created": b.created,
                    "updated": b.updated,
                    "unchanged": b.unchanged,
                    "deactivated": b.deactivated,
                }
                for b in self.bodies
            ],
            "skipped": [
                {"ref": s.ref, "reason": s.reason} for s in self.skipped[:SUMMARY_ROWS_KEPT]
            ],
            "updated": [
                {
                    "id": u.rep_id,
                    "external_id": u.external_id,
                    "name": u.name,
                    "changes": {k: list(v) for k, v in u.changes.items()},
                }
                for u in self.updates[:SUMMARY_ROWS_KEPT]
            ],
            "deactivated": [
                {"id": d.rep_id, "external_id": d.external_id, "name": d.name}
                for d in self.deactivations[:SUMMARY_ROWS_KEPT]
            ],
        }


def read_file(data: bytes, options: ImportOptions, today: date) -> ParseResult:
    """Parse ``data``; raises ImportRejected with the parser's one-line reason."""
    if options.fmt not in FORMATS:
        raise ImportRejected(
            _(
                "unknown format %(format)s; choose one of: %(formats)s",
                format=repr(options.fmt),
                formats=", ".join(FORMATS),
            )
        )
    try:
        return parse(
            options.fmt,
            data,
            country=options.country,
            body=options.body,
            term=options.term,
            language=options.language,
            today=today,
        )
    except ImportFormatError as exc:
        raise ImportRejected(str(exc)) from None


def body_country(record: RepRecord) -> str:
    return EU if record.body_kind == "european_parliament" else record.country


def plan_import(result: ParseResult, options: ImportOptions) -> ImportPlan:
    """Compare parsed records with the database; writes nothing.

    Raises NothingToImport when no record is left to import."""
    plan = ImportPlan(options=options, skipped=list(result.skipped))
    wanted = {(body_country(r), r.body.casefold()) for r in result.records}
    existing: dict[tuple[str, str], Body] = {}
    if wanted:
        countries = {country for country, _ in wanted}
        for body in db.session.execute(
            db.select(Body).filter(Body.country.in_(countries))
        ).scalars():
            existing.setdefault((body.country, body.name.casefold()), body)

    bodies: dict[tuple[str, str], BodyPlan] = {}
    accepted: list[tuple[BodyPlan, RepRecord]] = []
    for record in result.records:
        key = (body_country(record), record.body.casefold())
        body = existing.get(key)
        if body is not None and body.kind != record.body_kind:
            plan.skipped.append(
                SkippedRow(
                    id_ref(record.external_id, record.name),
                    _(
                        "the body %(body)s (%(country)s) is a %(kind)s, "
                        "but the file makes it a %(file_kind)s",
                        body=body.name,
                        country=body.country,
                        kind=body.kind,
                        file_kind=record.body_kind,
                    ),
                )
            )
            continue
        if key not in bodies:
            bodies[key] = BodyPlan(
                country=key[0],
                name=body.name if body is not None else record.body,
                kind=record.body_kind,
                body_id=body.id if body is not None else None,
            )
        accepted.append((bodies[key], record))

    if not accepted:
        if result.records:
            message = "every record of the file was skipped: nothing to import"
        else:
            message = "no row of the file has a usable email address: nothing to import"
        raise NothingToImport(message, plan.skipped)

    known_ids = [b.body_id for b in bodies.values() if b.body_id is not None]
    reps: dict[tuple[int, str], Representative] = {}
    if known_ids:
        for rep in db.session.execute(
            db.select(Representative).filter(Representative.body_id.in_(known_ids))
        ).scalars():
            reps[(rep.body_id, rep.external_id)] = rep

    seen: set[tuple[int, str]] = set()
    for body_plan, record in accepted:
        body_plan.records += 1
        plan.countries[record.country] = plan.countries.get(record.country, 0) + 1
        rep = reps.get((body_plan.body_id, record.external_id)) if body_plan.body_id else None
        if rep is None:
            plan.creates.append((body_plan, record))
            body_plan.created += 1
            continue
        seen.add((rep.body_id, rep.external_id))
        changes = {
            name: (getattr(rep, name), getattr(record, name))
            for name in FIELDS
            if getattr(rep, name) != getattr(record, name)
        }
        if changes:
            plan.updates.append(
                Update(rep.id, rep.external_id, record.name, body_plan.label, changes)
            )
            body_plan.updated += 1
        else:
            plan.unchanged += 1
            body_plan.unchanged += 1

    if options.deactivate_missing:
        by_id = {b.body_id: b for b in bodies.values() if b.body_id is not None}
        for (body_id, _external_id), rep in sorted(reps.items(), key=lambda item: item[1].id):
            if rep.active and (body_id, rep.external_id) not in seen:
                body_plan = by_id[body_id]
                plan.deactivations.append(
                    Deactivation(rep.id, rep.external_id, rep.name, body_plan.label)
                )
                body_plan.deactivated += 1

    plan.bodies = sorted(bodies.values(), key=lambda b: (b.country, b.name.casefold()))
    plan.countries = dict(sorted(plan.countries.items(), key=lambda item: (-item[1], item[0])))
    return plan
