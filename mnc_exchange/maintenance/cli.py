"""`flask backup`, `flask restore`, `flask retention purge`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(archive: Path):
    """Write the database rows and the uploaded files to ARCHIVE (.tar.gz)."""
    from .backup import backup

    manifest = backup(archive)
    rows = sum(manifest["tables"].values())
    click.echo(
        f"Backup written to {archive}: {rows} rows in {len(manifest['tables'])} tables, "
        f"{manifest['files']} files (revision {manifest['revision']})."
    )
    _warn_missing(manifest, "are not in the archive")


def _warn_missing(manifest: dict, consequence: str, shown: int = 20) -> None:
    """Name the files the database refers to that were missing on disk at the backup."""
    missing = manifest.get("missing_files") or []
    if not missing:
        return
    click.secho(
        f"Warning: {len(missing)} files named by the database were missing from the uploads "
        f"folder at the backup and {consequence} (listed in the archive's manifest.json):",
        err=True,
        fg="yellow",
    )
    for entry in missing[:shown]:
        click.echo(f"  {entry['path']} ({', '.join(entry['named_by'])})", err=True)
    if len(missing) > shown:
        click.echo(f"  … and {len(missing) - shown} more.", err=True)


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(archive: Path):
    """Restore ARCHIVE into an empty database migrated to the same revision."""
    from ..extensions import db
    from .backup import RestoreError, restore

    try:
        manifest = restore(archive)
    except RestoreError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest["tables"].values())
    click.echo(f"Restored {rows} rows and {manifest['restored_files']} files from {archive}.")
    _warn_missing(manifest, "could not be restored")


@click.group("retention")
def retention_group():
    """Personal-data retention (for a scheduler, e.g. monthly)."""


@retention_group.command("purge")
@click.option("--years", type=int, default=None, help="Override PERSONAL_DATA_RETENTION_YEARS.")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
@with_appcontext
def retention_purge_command(years, dry_run):
    """Anonymise unsuccessful applicants' data once the retention period has passed."""
    from ..extensions import db
    from .retention import purge

    report = purge(years=years, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo(
            f"Would anonymise {report.applications} applications "
            f"({report.documents} documents) of cohorts {report.cohorts}."
        )
        return
    db.session.commit()
    click.echo(
        f"Anonymised {report.applications} applications, removed {report.documents} documents "
        f"({report.files} files), anonymised {report.accounts} accounts."
    )
