"""`flask reps import` and `flask reps export`: representatives from and to files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from campaign.core.extensions import db
from campaign.models import Body, Representative
from campaign.people import import_plan, imports
from campaign.people.importers import FORMATS, RepRecord, write_csv
from campaign.people.importers.base import normalise_country

reps = AppGroup("reps", help="Representatives: import from and export to files.")


def report_lines(plan: import_plan.ImportPlan) -> list[str]:
    """What a file would do, for the organiser: per country, per body, every skip."""
    counts = plan.counts
    lines = [
        f"read {counts['created'] + counts['updated'] + counts['unchanged']} representatives, "
        f"skipped {counts['skipped']} rows",
        "by country:",
    ]
    lines += [f"  {country}  {number}" for country, number in plan.countries.items()]
    lines.append("by body:")
    for body in plan.bodies:
        new = "" if body.body_id else " [new body]"
        line = (
            f"  {body.label}{new}: {body.records} in file, created {body.created}, "
            f"updated {body.updated}, unchanged {body.unchanged}"
        )
        if plan.options.deactivate_missing:
            line += f", deactivated {body.deactivated}"
        lines.append(line)
    if plan.skipped:
        lines.append("skipped:")
        lines += [f"  {row.ref}: {row.reason}" for row in plan.skipped]
    return lines


@reps.command("import")
@click.argument("path")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), required=True, help="The file's format."
)
@click.option(
    "--country", help="ISO country code for every record (everypolitician, popolo need it)."
)
@click.option("--body", help="The body's name, e.g. Seimas; overrides the file's.")
@click.option("--term", help="The legislative term to read, where the file has several.")
@click.option("--language", help="ISO 639-1 language for every record, instead of the country's.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Deactivate the representatives of the file's bodies that the file no longer lists.",
)
def import_command(path, fmt, country, body, term, language, dry_run, deactivate_missing):
    """Import representatives from PATH. The last line is always
    created=N updated=N unchanged=N skipped=N; nothing is written on any error."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    options = import_plan.ImportOptions(
        fmt=fmt,
        country=country,
        body=body,
        term=term,
        language=language,
        deactivate_missing=deactivate_missing,
    )
    try:
        outcome = imports.run_import(data, options, source=path, dry_run=dry_run)
    except import_plan.NothingToImport as exc:
        for row in exc.skipped:
            click.echo(f"  {row.ref}: {row.reason}")
        raise click.ClickException(str(exc)) from None
    except import_plan.ImportRejected as exc:
        raise click.ClickException(str(exc)) from None
    plan = outcome.plan
    for line in report_lines(plan):
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was written")
    else:
        click.echo(f"written as import #{outcome.run.id}")
    if deactivate_missing:
        click.echo(f"deactivated={plan.counts['deactivated']}")
    click.echo(plan.summary_line())


@reps.command("export")
@click.option("--country", help="Only representatives of this country (ISO code).")
def export_command(country):
    """The representatives as the project's CSV on stdout (import it with --format csv)."""
    query = db.select(Representative).join(Body)
    if country:
        code = normalise_country(country)
        if code is None:
            raise click.ClickException(f"{country!r} is not a country code")
        query = query.filter(Representative.country == code)
    query = query.order_by(Representative.country, Body.name, Representative.external_id)
    records = (
        RepRecord(
            external_id=rep.external_id,
            country=rep.country,
            body=rep.body.name,
            body_kind=rep.body.kind,
            title=rep.title,
            name=rep.name,
            email=rep.email,
            party=rep.party,
            constituency=rep.constituency,
            language=rep.language,
            active=rep.active,
            gender=rep.gender,
        )
        for rep in db.session.execute(query).scalars()
    )
    click.echo(write_csv(records), nl=False)
