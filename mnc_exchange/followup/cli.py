"""Follow-up commands for a scheduler."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("followup")
def followup_group():
    """Following the interns abroad and after their return."""


@followup_group.command("remind")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to act as (YYYY-MM-DD); today by default.",
)
@with_appcontext
def remind_command(day):
    """Send the day's reminders: overdue checklist steps, missing check-ins, due employment
    surveys, and the tutors' evaluation links when due. Run it daily: running it again the same
    day sends nothing more."""
    from .services import send_reminders

    today = day.date() if day is not None else date.today()
    counts = send_reminders(today)
    db.session.commit()
    click.echo(
        f"Reminders for {today.isoformat()}: "
        f"{counts['steps']} intern(s) with overdue steps, "
        f"{counts['checkins']} missing check-in reminder(s), "
        f"{counts['surveys']} survey reminder(s), "
        f"{counts['evaluations']} evaluation link(s) sent to tutors."
    )
