"""flask commands: `report responses`, `report rebuild`, `replies list`."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from campaign.core.extensions import db
from campaign.core.spreadsheet import csv_text

report = AppGroup("report", help="Response reports.")
replies = AppGroup("replies", help="Replies to letters.")


def _campaign_id(slug: str | None) -> int | None:
    if not slug:
        return None
    from campaign.models import Campaign

    campaign = db.session.execute(db.select(Campaign).filter_by(slug=slug)).scalar_one_or_none()
    if campaign is None:
        raise click.ClickException(f"no campaign {slug!r}")
    return campaign.id


@report.command("responses")
@click.option("--campaign", "slug", help="Only this campaign (its slug).")
@click.option(
    "--by",
    type=click.Choice(
        ["representative", "party", "body", "country", "campaign", "template", "variant", "digest"]
    ),
    default="representative",
    show_default=True,
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
def responses_command(slug: str | None, by: str, fmt: str):
    """Letters sent, delivered, bounced and replied, response rate and median days
    to the first human reply: one row per key."""
    from campaign.tracking import reports

    rows = [row.as_dict() for row in reports.responses(by, _campaign_id(slug))]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        click.echo(csv_text(rows, reports.row_columns(by)), nl=False)


@report.command("rebuild")
def rebuild_command():
    """Recompute the report rollups from the raw records."""
    from campaign.tracking import rollups

    click.echo(f"rollup rows: {rollups.rebuild()}")


@replies.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--kind", type=click.Choice(["human", "automatic", "bounce", "unread"]))
@click.option("--unmatched", is_flag=True, help="Only replies matched to no letter.")
@click.option("--campaign", "slug", help="Only replies to this campaign's letters (its slug).")
@click.option("--limit", type=int, default=1000, show_default=True)
def list_command(fmt: str, kind: str | None, unmatched: bool, slug: str | None, limit: int):
    """Replies, newest first: received_at, letter_id (empty when unmatched),
    classification (human, automatic or bounce) and more."""
    from campaign.tracking import reply_inbox

    filters = reply_inbox.InboxFilters(
        kind=kind or "", matched="unmatched" if unmatched else "", campaign_id=_campaign_id(slug)
    )
    rows = reply_inbox.inbox_rows(filters, limit=limit)
    from campaign.accounts import audit

    audit.record_access(
        "export", "replies_exported_on_the_command_line", len(rows), {"format": fmt}
    )
    if fmt == "csv":
        click.echo(csv_text(rows, reply_inbox.INBOX_COLUMNS), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            click.echo(
                f"{row['received_at']}  {str(row['letter_id'] or '-'):>8}  "
                f"{row['classification'] or 'unread':<9}  {row['from']}  {row['subject'][:60]}"
            )


def register(app: Flask) -> None:
    app.cli.add_command(report)
    app.cli.add_command(replies)
