"""Write a file of representatives to the database: a dry run first, then all or nothing.

A plan (campaign.people.import_plan) is applied in one transaction, with an ImportRun
recording the source, date, format and counts, and an audit entry.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.models import Body, ImportRun, ImportRunBody, Representative, User
from campaign.models.base import utcnow
from campaign.people.import_plan import (
    FIELDS,
    ImportOptions,
    ImportPlan,
    ImportRejected,
    plan_import,
    read_file,
)


def apply_plan(
    plan: ImportPlan,
    *,
    source: str,
    data_sha256: str,
    today: date,
    user: User | None = None,
    run: ImportRun | None = None,
) -> ImportRun:
    """Write the plan, its ImportRun and an audit entry in one transaction.

    ``run`` is a pending upload to mark applied; without it a new record is made.
    Raises ImportRejected (after a rollback: nothing written) when the database
    refuses a row, e.g. because another import wrote the same people meanwhile."""
    try:
        body_rows: dict[int, Body] = {}
        for body_plan in plan.bodies:
            if body_plan.body_id is None:
                body = Body(country=body_plan.country, name=body_plan.name, kind=body_plan.kind)
                db.session.add(body)
                db.session.flush()
            else:
                body = db.session.get(Body, body_plan.body_id)
            body_rows[id(body_plan)] = body
        for body_plan, record in plan.creates:
            values = {name: getattr(record, name) for name in FIELDS}
            db.session.add(
                Representative(
                    body_id=body_rows[id(body_plan)].id, external_id=record.external_id, **values
                )
            )
        for change in plan.updates:
            rep = db.session.get(Representative, change.rep_id)
            for name, (_old, new) in change.changes.items():
                setattr(rep, name, new)
        for gone in plan.deactivations:
            db.session.get(Representative, gone.rep_id).active = False

        counts = plan.counts
        if run is None:
            run = ImportRun(token=secrets.token_urlsafe(24), parsed_on=today)
            db.session.add(run)
        run.status = "applied"
        run.applied_at = utcnow()
        run.source = source[:300]
        run.format = plan.options.fmt
        run.options = plan.options.as_dict()
        run.data = None
        run.data_sha256 = data_sha256
        run.user_id = user.id if user is not None else None
        run.summary = plan.summary()
        for name, value in counts.items():
            setattr(run, name, value)
        run.bodies = [
            ImportRunBody(
                body_id=body_rows[id(b)].id,
                records=b.records,
                created=b.created,
                updated=b.updated,
                unchanged=b.unchanged,
                deactivated=b.deactivated,
            )
            for b in plan.bodies
        ]
        db.session.flush()
        audit.record(
            "import",
            "import",
            run.id,
            "imported_deactivating" if plan.options.deactivate_missing else "imported",
            {
                "source": source[:200],
                "format": plan.options.fmt,
                "bodies": ", ".join(b.label for b in plan.bodies)[:150],
                **counts,  # created, updated, unchanged, skipped, deactivated
            },
            user=user,
        )
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        raise ImportRejected(
            _(
                "the database refused the import, nothing was changed (%(reason)s); "
                "run the dry run again",
                reason=reason,
            )
        ) from None
    return run


@dataclass(frozen=True)
class ImportOutcome:
    plan: ImportPlan
    run: ImportRun | None  # None for a dry run


def run_import(
    data: bytes,
    options: ImportOptions,
    *,
    source: str,
    user: User | None = None,
    dry_run: bool = False,
    today: date | None = None,
) -> ImportOutcome:
    """Parse, plan and (unless ``dry_run``) apply a file in one go, as the command
    line does. Raises ImportRejected / NothingToImport with nothing written."""
    today = today or date.today()
    plan = plan_import(read_file(data, options, today), options)
    if dry_run:
        return ImportOutcome(plan, None)
    run = apply_plan(
        plan, source=source, data_sha256=hashlib.sha256(data).hexdigest(), today=today, user=user
    )
    return ImportOutcome(plan, run)
