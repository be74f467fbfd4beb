"""flask commands: `seed demo`, `letters status`, `users create`, `users password`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from campaign.core.extensions import db

seed = AppGroup("seed", help="Load data.")
letters = AppGroup("letters", help="Inspect letters.")
users = AppGroup("users", help="Accounts of the people who run campaigns.")


@seed.command("demo")
def seed_demo_command():
    """Two demo campaigns (the default one and a second), their letters and fictional
    representatives (example.org)."""
    from campaign.seed import seed_demo

    click.echo(f"seeded: {seed_demo(second_campaign=True)}")


@letters.command("status")
def letters_status_command():
    """How many letters are in each state; whether workers are taking due letters."""
    from campaign.models import Letter, LetterState

    counts = dict(
        db.session.execute(db.select(Letter.state, db.func.count()).group_by(Letter.state)).all()
    )
    for state in LetterState:
        click.echo(f"{state.value:<22} {counts.get(state.value, 0)}")
    from campaign.delivery.queue_status import dispatch_health, duplicates

    # One "name value" pair a line, as above, for scripts; "stalled" when letters have
    # been due for DISPATCH_STALL_SECONDS and no worker took one meanwhile.
    health = dispatch_health()
    idle = "never" if health.idle_seconds is None else f"{health.idle_seconds:.0f}s_ago"
    click.echo(f"{'dispatch':<22} {'stalled' if health.stalled else 'ok'}")
    click.echo(f"{'last_taken':<22} {idle}")
    click.echo(f"{'sent_twice':<22} {duplicates()}")
    from campaign.delivery.sending_rate import sending_rate

    # "short" when letters are due and the workers send well below the configured
    # rate; the sentence saying what to do goes to stderr, leaving stdout's pairs.
    rate = sending_rate()
    measured = "unknown" if rate.measured is None else f"{rate.measured:.1f}/s"
    click.echo(f"{'sending_rate':<22} {measured}")
    click.echo(f"{'rate':<22} {'short' if rate.short else 'ok'}")
    if rate.short:
        click.echo(rate.describe(), err=True)


@letters.command("after-restore")
def letters_after_restore_command():
    """Run after restoring PostgreSQL, before starting workers: letters the backup
    shows unsent but SendGrid accepted (send journal, delivery events) become sent."""
    from campaign.delivery.reconcile import after_restore

    report = after_restore()
    click.echo(
        f"checked {report.checked} queued or sending letters: "
        f"{report.from_journal + report.from_events} recorded as sent "
        f"({report.from_journal} from the send journal, {report.from_events} from "
        "SendGrid's delivery events); the others will be sent"
    )


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "organiser", "staff"]), required=True)
def users_create_command(email: str, role: str):
    """Create an account; the password is read from a prompt, or from stdin."""
    from email_validator import EmailNotValidError, validate_email

    from campaign.models import User

    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise click.ClickException(f"{email!r} is not an email address: {exc}") from None
    if db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none():
        raise click.ClickException(f"an account for {email} exists already")
    password = _read_password()
    user = User(email=email, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    from campaign.accounts import audit

    audit.record("create", "user", user.id, "user_created", {"role": role, "email": email})
    db.session.commit()
    click.echo(f"created {role} {email}")


def _read_password() -> str:
    """From a prompt on a terminal, else the first line of stdin; at least 12 characters."""
    import sys

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 12:
        raise click.ClickException("the password must have at least 12 characters")
    return password


@users.command("password")
@click.argument("email")
def users_password_command(email: str):
    """Set an account's password (read as for `users create`); its sessions end."""
    from campaign.accounts import audit
    from campaign.models import User

    user = db.session.execute(
        db.select(User).filter_by(email=email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"no account for {email}")
    user.set_password(_read_password())
    audit.record("password", "user", user.id, "password_set", {"email": user.email})
    db.session.commit()
    click.echo(f"new password set for {user.email}; its sessions have ended")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(letters)
    app.cli.add_command(users)
    from campaign.delivery import commands as sending_commands  # pause, resume, cancel a campaign

    sending_commands.register(app)
    from campaign.people.commands import reps

    app.cli.add_command(reps)
    from campaign.tracking import commands as report_commands

    report_commands.register(app)
    from campaign.i18n_cli import i18n_cli  # catalogues' and letters' translation status

    app.cli.add_command(i18n_cli)
