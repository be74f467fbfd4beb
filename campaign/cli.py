"""flask commands: `seed demo`, `letters status`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db

seed = AppGroup("seed", help="Load data.")
letters = AppGroup("letters", help="Inspect letters.")


@seed.command("demo")
def seed_demo_command():
    """The default campaign, its letters and fictional representatives (example.org)."""
    from .services.seed import seed_demo

    click.echo(f"seeded: {seed_demo()}")


@letters.command("status")
def letters_status_command():
    """How many letters are in each state."""
    from .models import Letter, LetterState

    counts = dict(
        db.session.execute(db.select(Letter.state, db.func.count()).group_by(Letter.state)).all()
    )
    for state in LetterState:
        click.echo(f"{state.value:<22} {counts.get(state.value, 0)}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(letters)
