"""The yearly cohort report from the command line:
``flask --app app cohort-report YEAR --output FILE.pdf [--lang en] [--cutoff YYYY-MM-DD]``."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db


def _default_output(year: int, lang: str) -> Path:
    return Path(f"mnc-cohort-report-{year}-{lang}.pdf")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file of the same folder: a failure
    never leaves half a PDF behind, nor destroys an earlier report of the same name."""
    folder = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@click.command("cohort-report")
@click.argument("year", type=int)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The PDF file to write (default: mnc-cohort-report-YEAR-LANG.pdf here).",
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of the report.",
)
@click.option(
    "--cutoff",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    default=None,
    help="Cut-off date of the data, YYYY-MM-DD (default: today).",
)
@with_appcontext
def cohort_report_command(year: int, output: Path | None, lang: str, cutoff):
    """Write the yearly report of the cohort YEAR as a PDF (French unless --lang en)."""
    from ..cohorts.models import Cohort
    from .report import render_report

    cohort = db.session.scalar(select(Cohort).where(Cohort.year == year))
    if cohort is None:
        years = [str(y) for y in db.session.scalars(select(Cohort.year).order_by(Cohort.year))]
        known = f" Cohorts: {', '.join(years)}." if years else " There is no cohort yet."
        raise click.ClickException(f"No cohort for the year {year}.{known}")
    path = output or _default_output(year, lang)
    if path.exists() and path.is_dir():
        raise click.ClickException(f"{path} is a folder: give the name of the PDF file.")
    if not path.parent.resolve().is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist.")
    if not os.access(path.parent.resolve(), os.W_OK):
        raise click.ClickException(f"The folder {path.parent} is not writable.")
    as_of = cutoff.date() if cutoff else date.today()

    started = time.perf_counter()
    report = render_report(cohort, lang, as_of)
    _write_atomically(path, report.pdf)
    elapsed = time.perf_counter() - started
    click.echo(
        f"Cohort report {year} ({lang}, data as of {as_of.isoformat()}) written to {path}: "
        f"{report.pages} page(s), {len(report.pdf) / 1024:.0f} KiB, in {elapsed:.1f} s."
    )


@click.command("forget-report-snapshots")
@with_appcontext
def forget_snapshots_command():
    """Drop the kept figures of the finished cohorts (after changing the database by hand):
    they are computed again on the next view."""
    from .snapshots import forget

    click.echo(f"Kept figures dropped: {forget()} cohort(s).")
