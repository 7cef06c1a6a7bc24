"""CLI commands: create-user, demo-data, outbox deliver, outbox worker."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .accounts.models import Role
from .extensions import db


def register(app: Flask) -> None:
    from .agreements.cli import agreements_group, seal_group
    from .followup.cli import followup_group
    from .maintenance.cli import backup_command, restore_command, retention_group
    from .placements.cli import matching_group
    from .reports.cli import cohort_report_command, forget_snapshots_command
    from .selection.cli import selection_group

    for command in (
        create_user_command,
        demo_data_command,
        outbox_group,
        selection_group,
        matching_group,
        followup_group,
        seal_group,
        agreements_group,
        cohort_report_command,
        forget_snapshots_command,
        backup_command,
        restore_command,
        retention_group,
    ):
        app.cli.add_command(command)


@click.command("create-user")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--email", required=True)
@click.option("--name", "full_name", default=None, help="Full name (defaults to the e-mail).")
@click.option("--locale", type=click.Choice(["fr", "en"]), default="fr")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_user_command(role, email, full_name, locale, password):
    """Create an account of any role (active and approved)."""
    from flask import current_app

    from .accounts.services import create_user
    from .core.errors import DomainError

    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise click.ClickException(
            f"The password must have at least {current_app.config['PASSWORD_MIN_LENGTH']} "
            "characters."
        )
    try:
        user = create_user(email, password, full_name or email, Role(role), locale=locale)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@click.command("demo-data")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load only into an empty database (used by `make run`); never touch real data.",
)
@click.option(
    "--history/--no-history",
    default=True,
    show_default=True,
    help="Also the archived cohorts and their interns' follow-up (the slow part).",
)
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="N times the demo programme: N times the applications of every cohort, N times the "
    "interns of the finished ones (at most 500 a year), written in bulk (demo.scale).",
)
@with_appcontext
def demo_data_command(if_empty, history, scale):
    """Load the demo data (idempotent) and print the demo accounts."""
    from .accounts.models import User
    from .demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_data

    has_users = db.session.scalar(select(func.count()).select_from(User)) > 0
    demo_emails = [email for _role, email, _name in DEMO_ACCOUNTS]
    has_demo = db.session.scalar(
        select(func.count()).select_from(User).where(User.email.in_(demo_emails))
    )
    if if_empty and has_users and not has_demo:
        click.echo("The database already holds data: demo data not loaded.")
        return
    if history:
        click.echo("Loading the demo data, with the archived cohorts (up to a minute)…")
    accounts = load_demo_data(history=history)
    db.session.commit()
    if scale > 1:
        import time

        from .demo.scale import load_scale_data

        click.echo(f"Scale data set: {scale} times the demo programme…")
        started = time.perf_counter()
        added = load_scale_data(scale)
        db.session.commit()
        if added:
            rows = ", ".join(f"{count} {kind}" for kind, count in added.items())
            click.echo(f"Added in {time.perf_counter() - started:.0f} s: {rows}.")
        else:
            click.echo("The scale data set is already loaded: nothing added.")
    click.echo("")
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD})")
    for role, email in accounts:
        click.echo(f"  {role:<12} {email}")
    click.echo("")


@click.group("outbox")
def outbox_group():
    """The e-mail outbox."""


@outbox_group.command("deliver")
@with_appcontext
def outbox_deliver_command():
    """Deliver every queued message over SMTP (for a scheduler).

    Prints how many were sent, failed for good (cannot be built, refused with a 5xx, or out of
    attempts) and left queued for a retry (temporary failure); exits with 1 if any was not
    sent. A bad message never stops the run.
    """
    from flask import current_app

    from .mail.models import OutboxMessage, OutboxStatus
    from .mail.services import deliver

    queued = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.queued)
    )
    if not current_app.config.get("MAIL_SERVER"):
        click.echo(f"MAIL_SERVER is not set: {queued} message(s) stay queued in the outbox.")
        return
    report = deliver()
    click.echo(f"Sent {report.sent}, failed {report.failed}, left in the queue {report.left}.")
    if report.failed or report.left:
        raise SystemExit(1)


@outbox_group.command("worker")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds between two looks at the outbox.",
)
@click.option(
    "--retry-delay",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds before a message that failed for a temporary reason is tried again "
    "(doubled at each attempt, at most an hour).",
)
@click.option("--once", is_flag=True, help="One delivery cycle, then exit.")
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0),
    default=None,
    help="Exit after this many seconds (default: run until SIGTERM or SIGINT).",
)
@with_appcontext
def outbox_worker_command(interval, retry_delay, once, max_seconds):
    """Deliver queued e-mail continuously: every few seconds, until SIGTERM or SIGINT.

    Requests only queue messages; run one worker beside the web server (``make run`` starts
    one; in production a systemd service). On SIGTERM or SIGINT it finishes the message being
    handed over and exits with status 0.
    """
    from .mail.worker import OutboxWorker, stop_on_signals

    worker = OutboxWorker(interval=interval, retry_delay=retry_delay)
    click.echo(f"Outbox worker started (every {interval:g} s).")
    with stop_on_signals(worker):
        totals = worker.run(once=once, max_seconds=max_seconds, echo=click.echo)
    click.echo(
        f"Outbox worker stopped: sent {totals.sent}, failed {totals.failed}, "
        f"left in the queue {totals.left}."
    )
