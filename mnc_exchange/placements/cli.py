"""Matching commands for a scheduler."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("matching")
def matching_group():
    """Matching and placements."""


@matching_group.command("expire-placements")
@with_appcontext
def expire_placements_command():
    """Decline the proposed placements a company did not answer by the deadline (daily): the
    student and the seat go back to the next matching run."""
    from .services import expire_overdue

    count = expire_overdue()
    db.session.commit()
    click.echo(f"{count} proposed placement(s) expired without an answer.")
