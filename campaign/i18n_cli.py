"""`flask i18n status` and `flask i18n reviewed`: the review marks organisers check
before launch."""

from __future__ import annotations

import click
from flask.cli import AppGroup

i18n_cli = AppGroup("i18n", help="Interface and letter translations, and their review.")


@i18n_cli.command("status")
def status_command():
    """Each interface catalogue (translated, fuzzy, reviewed) and each published letter."""
    from sqlalchemy.exc import SQLAlchemyError

    from campaign.letters.translation_status import catalogue_statuses, letter_statuses

    click.echo("Interface (campaign/translations/)")
    for s in catalogue_statuses():
        counts = f"{s.translated}/{s.messages} translated" + (
            f", {s.fuzzy} fuzzy" if s.fuzzy else ""
        )
        unreviewed = f"{s.unreviewed} unreviewed"
        click.echo(f"  {s.language}  {s.name:<12} {counts:<24} {unreviewed:<16} {s.review_mark}")
    try:
        letters = letter_statuses()
    except SQLAlchemyError as exc:
        click.echo(f"Letters: the database cannot be read ({exc.__class__.__name__})")
        return
    click.echo("Letters (published versions)")
    if not letters:
        click.echo("  none yet: `flask --app wsgi seed demo` loads the default letters")
    for row in letters:
        mark = "reviewed" if row.reviewed else "not reviewed"
        click.echo(f"  {row.campaign}  {row.body_kind:<20} {row.language}  v{row.version}  {mark}")
    unreviewed = [s for s in catalogue_statuses() if not s.reviewed or s.changed_since_review]
    unreviewed_letters = [r for r in letters if not r.reviewed]
    click.echo(
        f"To review before launch: {len(unreviewed)} interface catalogue(s), "
        f"{len(unreviewed_letters)} letter(s)"
    )


@i18n_cli.command("reviewed")
@click.argument("language")
@click.option("--by", "reviewer", required=True, help="Who checked the catalogue.")
def reviewed_command(language: str, reviewer: str):
    """Record that a native speaker checked the catalogue of LANGUAGE as it is now."""
    from campaign.letters.translation_status import mark_reviewed

    try:
        entry = mark_reviewed(language, reviewer)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{language}: reviewed by {entry['reviewer']} on {entry['date']}")


@i18n_cli.command("unreviewed")
@click.argument("language")
def unreviewed_command(language: str):
    """The messages of LANGUAGE's catalogue that no review covers yet, with their
    translations: what a native speaker reads before `flask i18n reviewed`."""
    from campaign.core.i18n import INTERFACE_LANGUAGES, SOURCE_LANGUAGE
    from campaign.letters.translation_status import unreviewed_messages

    if language not in INTERFACE_LANGUAGES or language == SOURCE_LANGUAGE:
        raise click.ClickException(f"no catalogue for {language!r}")
    messages = unreviewed_messages(language)
    for message in messages:
        source = message.id if isinstance(message.id, str) else " | ".join(message.id)
        text = message.string if isinstance(message.string, str) else " | ".join(message.string)
        click.echo(f"{source}\n  → {text}")
    click.echo(f"{language}: {len(messages)} message(s) not reviewed")
