"""`flask sending pause|resume|cancel CAMPAIGN`: a campaign's sending, from the
command line (CAMPAIGN is the campaign's slug; an unknown one is a one-line error)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from campaign.delivery import sending as service

sending = AppGroup("sending", help="Pause, resume or cancel a campaign's sending.")


def _campaign(slug: str):
    try:
        return service.campaign_by_slug(slug)
    except service.UnknownCampaign as exc:
        raise click.ClickException(str(exc)) from None


def _command(name: str, help_text: str, done: str):
    """``flask sending NAME CAMPAIGN``: does ``delivery.sending.NAME`` (recorded in the
    audit log as the command line) and prints ``done`` with the campaign's slug and
    the number of letters."""

    @sending.command(name, help=help_text)
    @click.argument("campaign")
    def command(campaign: str) -> None:
        found = _campaign(campaign)
        count = service.control(name, found)
        click.echo(done.format(slug=found.slug, count=count))

    return command


pause_command = _command(
    "pause",
    "Stop sending CAMPAIGN's letters; queued letters wait.",
    "{slug}: paused; {count} queued letters wait",
)
resume_command = _command(
    "resume", "Send CAMPAIGN's letters again.", "{slug}: sending; {count} queued letters"
)
cancel_command = _command(
    "cancel",
    "Cancel CAMPAIGN's sending: every queued letter becomes cancelled.",
    "{slug}: cancelled; {count} queued letters cancelled",
)


def register(app: Flask) -> None:
    app.cli.add_command(sending)
