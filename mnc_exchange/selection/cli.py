"""Selection commands for a scheduler."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("selection")
def selection_group():
    """Selection rounds."""


@selection_group.command("expire-offers")
@with_appcontext
def expire_offers_command():
    """Expire seat offers past their deadline and offer the seats to the next students."""
    from .services import expire_offers

    count = expire_offers()
    db.session.commit()
    click.echo(f"{count} seat offer(s) expired.")
