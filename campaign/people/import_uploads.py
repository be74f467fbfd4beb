"""Uploads: the dry run on one request, the confirmation on another. The file's bytes
wait in a pending ImportRun, keyed by a random token, until the organiser confirms,
and are applied only if they would write exactly what the dry run showed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import update

from campaign.core.extensions import db
from campaign.models import ImportRun, User
from campaign.models.base import utcnow
from campaign.people.import_plan import (
    ImportOptions,
    ImportPlan,
    ImportRejected,
    PlanChanged,
    plan_import,
    read_file,
)
from campaign.people.imports import apply_plan

# An upload not confirmed within this time is forgotten.
PENDING_KEPT_FOR = timedelta(days=2)


def stage_upload(
    data: bytes, filename: str, options: ImportOptions, user: User, today: date | None = None
) -> tuple[ImportRun, ImportPlan]:
    """Check an uploaded file and keep its bytes for the confirmation step.

    Raises ImportRejected (nothing stored) when the file cannot be read or gives
    no representative. Returns the pending run, keyed by its random token."""
    today = today or date.today()
    plan = plan_import(read_file(data, options, today), options)
    db.session.execute(
        db.delete(ImportRun).where(
            ImportRun.status == "pending", ImportRun.created_at < utcnow() - PENDING_KEPT_FOR
        )
    )
    run = ImportRun(
        token=secrets.token_urlsafe(24),
        status="pending",
        source=(filename or "upload")[:300],
        format=options.fmt,
        options=options.as_dict(),
        parsed_on=today,
        data=data,
        data_sha256=hashlib.sha256(data).hexdigest(),
        user_id=user.id,
    )
    db.session.add(run)
    db.session.commit()
    return run, plan


def find_run(token: str) -> ImportRun | None:
    return db.session.execute(db.select(ImportRun).filter_by(token=token)).scalar_one_or_none()


def staged_plan(run: ImportRun) -> ImportPlan:
    """The dry run of a pending upload, against the database as it is now."""
    if run.status != "pending" or run.data is None:
        raise ImportRejected(_("this import has been applied already"))
    options = ImportOptions.from_dict(run.options)
    return plan_import(read_file(run.data, options, run.parsed_on), options)


def apply_staged(run: ImportRun, expected_digest: str, user: User) -> ImportRun:
    """Apply a pending upload if, and only if, it would write exactly what its dry
    run showed (``expected_digest``). Raises PlanChanged otherwise, ImportRejected
    when it was applied already; nothing is written in either case."""
    # Compare-and-set: of two confirmations sent at once, only one goes through.
    claimed = db.session.execute(
        update(ImportRun)
        .where(ImportRun.id == run.id, ImportRun.status == "pending")
        .values(status="applied")
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ImportRejected(_("this import has been applied already"))
    db.session.refresh(run)
    options = ImportOptions.from_dict(run.options)
    try:
        plan = plan_import(read_file(run.data or b"", options, run.parsed_on), options)
        if plan.digest() != expected_digest:
            raise PlanChanged(
                "the representatives changed since this dry run was shown (another edit or "
                "import); nothing was written: check the new dry run and confirm again"
            )
    except ImportRejected:
        db.session.rollback()
        raise
    return apply_plan(
        plan,
        source=run.source,
        data_sha256=run.data_sha256,
        today=run.parsed_on,
        user=user,
        run=run,
    )
