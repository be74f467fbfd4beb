"""`flask reps import` / `flask reps export` and the import service, on the real
files of ../shared/data/reps (never mailed: these are real officials)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.exc import SQLAlchemyError

from campaign.core.extensions import db
from campaign.models import AuditEntry, Body, ImportRun, ImportRunBody, Representative
from campaign.models.base import utcnow
from campaign.people import imports
from campaign.people.representatives import body_statuses

from .conftest import needs_shared_data
from .organisers_support import EP_API, EP_CSV, SEIMAS_CSV, SEIMAS_POPOLO

pytestmark = needs_shared_data


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def reps_import(app, *args: str):
    return app.test_cli_runner().invoke(args=["reps", "import", *map(str, args)])


def test_dry_run_prints_counts_and_every_skip_and_writes_nothing(app):
    result = reps_import(
        app, SEIMAS_CSV, "--format", "everypolitician", "--country", "LT", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "created=141 updated=0 unchanged=0 skipped=9"
    assert "by country:" in lines and "  LT  141" in lines
    assert "by body:" in lines
    assert (
        "  LT Seimas (parliament) [new body]: 141 in file, created 141, updated 0, unchanged 0"
        in lines
    )
    assert "  row 9 (Algirdas Vaclovas Patackas): no email address" in lines
    assert sum(1 for line in lines if line.endswith(": no email address")) == 9
    assert "dry run: nothing was written" in lines
    assert count(Representative) == count(Body) == count(ImportRun) == count(AuditEntry) == 0


def test_import_then_reimport_updates_by_external_id(app):
    first = reps_import(app, SEIMAS_CSV, "--format", "everypolitician", "--country", "LT")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[-1] == "created=141 updated=0 unchanged=0 skipped=9"
    reps = db.session.execute(db.select(Representative)).scalars().all()
    assert (
        len(reps) == 141
        and {r.language for r in reps} == {"lt"}
        and {r.country for r in reps} == {"LT"}
    )
    # Members whose every stint ended import as inactive.
    assert sum(not r.active for r in reps) == 6
    run = db.session.execute(db.select(ImportRun)).scalar_one()
    assert (run.status, run.format, run.created, run.skipped) == (
        "applied",
        "everypolitician",
        141,
        9,
    )
    assert run.source.endswith("term-11.csv") and run.applied_at is not None and run.data is None
    assert run.options["country"] == "LT"
    assert db.session.execute(db.select(ImportRunBody)).scalar_one().records == 141

    someone = reps[0]
    someone.email = "changed@example.org"
    db.session.commit()
    # The Popolo file of the same legislature gives the same people and addresses.
    again = reps_import(app, SEIMAS_POPOLO, "--format", "popolo", "--country", "LT")
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == "created=0 updated=1 unchanged=140 skipped=9"
    db.session.expire_all()
    assert db.session.get(Representative, someone.id).email != "changed@example.org"
    assert count(Representative) == 141 and count(Body) == 1 and count(ImportRun) == 2


def test_language_comes_from_the_country_unless_given(app):
    result = reps_import(
        app, SEIMAS_CSV, "--format", "everypolitician", "--country", "LT", "--language", "en"
    )
    assert result.exit_code == 0, result.output
    languages = db.session.execute(db.select(Representative.language).distinct()).scalars().all()
    assert languages == ["en"]


def test_deactivate_missing_only_when_asked(app, tmp_path):
    assert (
        reps_import(app, SEIMAS_CSV, "--format", "everypolitician", "--country", "LT").exit_code
        == 0
    )
    export = app.test_cli_runner().invoke(args=["reps", "export", "--country", "LT"])
    lines = export.output.splitlines()
    smaller = tmp_path / "smaller.csv"
    active_dropped = [line for line in lines[1:] if re.search(r",true,,(female|male)?$", line)][:3]
    smaller.write_text(
        "\n".join(line for line in lines if line not in active_dropped) + "\n", encoding="utf-8"
    )

    kept = reps_import(app, smaller, "--format", "csv")
    assert kept.output.splitlines()[-1] == "created=0 updated=0 unchanged=138 skipped=0"
    assert (
        db.session.execute(db.select(db.func.count()).where(Representative.active)).scalar() == 135
    )

    dry = reps_import(app, smaller, "--format", "csv", "--deactivate-missing", "--dry-run")
    assert dry.output.splitlines()[-2:] == [
        "deactivated=3",
        "created=0 updated=0 unchanged=138 skipped=0",
    ]
    gone = reps_import(app, smaller, "--format", "csv", "--deactivate-missing")
    assert gone.exit_code == 0, gone.output
    db.session.expire_all()
    assert (
        db.session.execute(db.select(db.func.count()).where(Representative.active)).scalar() == 132
    )
    assert (
        db.session.execute(db.select(ImportRun).order_by(ImportRun.id.desc()).limit(1))
        .scalar()
        .deactivated
        == 3
    )


def test_export_then_import_round_trips(app):
    assert (
        reps_import(app, SEIMAS_CSV, "--format", "everypolitician", "--country", "LT").exit_code
        == 0
    )
    assert reps_import(app, EP_API / "101039.json", "--format", "ep-api").exit_code == 0
    export = app.test_cli_runner().invoke(args=["reps", "export"])
    assert export.exit_code == 0
    header = export.output.splitlines()[0].split(",")
    assert {
        "external_id",
        "country",
        "body",
        "name",
        "email",
        "party",
        "constituency",
        "active",
    } <= set(header)
    assert len(export.output.splitlines()) == 1 + 142
    path = app.instance_path + "/export.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(export.output)
    again = reps_import(app, path, "--format", "csv")
    assert again.output.splitlines()[-1] == "created=0 updated=0 unchanged=142 skipped=0", (
        again.output
    )
    only_lt = app.test_cli_runner().invoke(args=["reps", "export", "--country", "lt"])
    assert len(only_lt.output.splitlines()) == 1 + 141
    bad = app.test_cli_runner().invoke(args=["reps", "export", "--country", "Atlantis"])
    assert bad.exit_code != 0 and "not a country code" in bad.output


def test_ep_csv_dry_run_shows_the_estonia_error(app):
    result = reps_import(app, EP_CSV, "--format", "ep-csv", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  EE  58" in lines and "  ES  7" in lines
    assert lines[-1] == "created=698 updated=0 unchanged=0 skipped=115"
    assert count(Representative) == 0


@pytest.mark.parametrize(
    "args, reason",
    [
        (
            (EP_API / "124831.json", "--format", "ep-api"),
            "no row of the file has a usable email address",
        ),
        (("/no/such/file.csv", "--format", "csv"), "cannot read /no/such/file.csv"),
        ((EP_CSV, "--format", "popolo", "--country", "LT"), "not a Popolo JSON file"),
        ((SEIMAS_CSV, "--format", "everypolitician"), "needs --country"),
        ((SEIMAS_CSV, "--format", "csv"), "missing column(s)"),
        ((SEIMAS_CSV, "--format", "everypolitician", "--country", "XX"), "is not a country code"),
    ],
)
def test_bad_files_exit_non_zero_with_one_line_and_change_nothing(app, args, reason):
    result = reps_import(app, *args)
    assert result.exit_code != 0
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and reason in error_lines[0], result.output
    assert count(Representative) == count(Body) == count(ImportRun) == 0


def test_urls_and_other_non_addresses_are_skipped_with_their_reason(app, tmp_path):
    path = tmp_path / "reps.csv"
    path.write_text(
        "external_id,country,body,name,email\n"
        "1,LT,Seimas,Good Person,good@example.org\n"
        "2,LT,Seimas,Web Person,https://www.lrs.lt/contact\n"
        "3,LT,Seimas,Phone Person,+370 5 239 6060\n",
        encoding="utf-8",
    )
    result = reps_import(app, path, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert (
        "  row 3 (Web Person): 'https://www.lrs.lt/contact' is not an email address"
        in result.output
    )
    assert "  row 4 (Phone Person): no valid email address in '+370 5 239 6060'" in result.output
    assert result.output.splitlines()[-1] == "created=1 updated=0 unchanged=0 skipped=2"


def test_an_import_is_all_or_nothing(app, monkeypatch):
    def refuse(*args, **kwargs):
        raise SQLAlchemyError("disk full")

    monkeypatch.setattr(imports.audit, "record", refuse)
    result = reps_import(app, SEIMAS_CSV, "--format", "everypolitician", "--country", "LT")
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert count(Representative) == count(Body) == count(ImportRun) == 0


def test_a_body_of_another_kind_is_never_mixed_up(app, tmp_path):
    db.session.add(Body(country="LT", name="Seimas", kind="ministry"))
    db.session.commit()
    result = reps_import(app, SEIMAS_CSV, "--format", "everypolitician", "--country", "LT")
    assert result.exit_code != 0 and "every record of the file was skipped" in result.output
    assert "is a ministry, but the file makes it a parliament" in result.output
    assert count(Representative) == 0


def test_each_body_shows_how_old_its_data_is(app):
    assert (
        reps_import(app, SEIMAS_CSV, "--format", "everypolitician", "--country", "LT").exit_code
        == 0
    )
    db.session.add(Body(country="DE", name="Bundestag", kind="parliament"))
    db.session.commit()
    statuses = {s.body.name: s for s in body_statuses()}
    assert statuses["Seimas"].active == 135 and statuses["Seimas"].inactive == 6
    assert (
        statuses["Seimas"].last_import.source.endswith("term-11.csv")
        and not statuses["Seimas"].stale
    )
    assert statuses["Bundestag"].last_import is None and statuses["Bundestag"].stale
    run = db.session.execute(db.select(ImportRun)).scalar_one()
    run.applied_at = utcnow() - timedelta(days=190)
    db.session.commit()
    assert {s.body.name: s for s in body_statuses()}["Seimas"].stale
