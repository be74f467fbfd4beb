"""`flask sending pause|resume|cancel CAMPAIGN`: a campaign's sending, from the
command line (CAMPAIGN is the campaign's slug; an unknown one is a one-line error)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..services import sending as service

sending = AppGroup("sending", help="Pause, resume or cancel a campaign's sending.")


def _campaign(slug: str):
    try:
        return service.campaign_by_slug(slug)
    except service.UnknownCampaign as exc:
        raise click.ClickException(str(exc)) from None


@sending.command("pause")
@click.argument("campaign")
def pause_command(campaign: str):
    """Stop sending CAMPAIGN's letters; queued letters wait."""
    found = _campaign(campaign)
    waiting = service.pause(found)
    click.echo(f"{found.slug}: paused; {waiting} queued letters wait")


@sending.command("resume")
@click.argument("campaign")
def resume_command(campaign: str):
    """Send CAMPAIGN's letters again."""
    found = _campaign(campaign)
    waiting = service.resume(found)
    click.echo(f"{found.slug}: sending; {waiting} queued letters")


@sending.command("cancel")
@click.argument("campaign")
def cancel_command(campaign: str):
    """Cancel CAMPAIGN's sending: every queued letter becomes cancelled."""
    found = _campaign(campaign)
    cancelled = service.cancel(found)
    click.echo(f"{found.slug}: cancelled; {cancelled} queued letters cancelled")


def register(app: Flask) -> None:
    app.cli.add_command(sending)
