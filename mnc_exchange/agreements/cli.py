"""Agreement commands: render a cohort's agreements in batch, remind the parties who have not
signed (for a daily scheduler); the programme's seal (demo certificate, status, final versions
still missing)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..core.pdf import pdf_workers, render_pdfs
from ..extensions import db


@click.group("agreements")
def agreements_group():
    """Internship agreements."""


@agreements_group.command("generate")
@click.argument("year", type=int)
@click.option(
    "--output",
    "output",
    type=click.Path(file_okay=False, writable=True, path_type=Path),
    default=None,
    help="Folder for the PDFs (default: instance/agreements/YEAR).",
)
@with_appcontext
def generate_command(year: int, output: Path | None):
    """Render the current version of every agreement of the cohort YEAR from its snapshot."""
    from ..cohorts.models import Cohort
    from ..templating import external_url
    from . import services
    from .models import DocumentKind

    cohort = db.session.scalar(select(Cohort).where(Cohort.year == year))
    if cohort is None:
        raise click.ClickException(f"No cohort for {year}.")
    folder = output or Path(current_app.instance_path) / "agreements" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    documents = [
        d
        for agreement in services.agreements_for_cohort(cohort)
        for d in agreement.documents
        if d.kind is DocumentKind.agreement and d.superseded_at is None
    ]
    started = time.perf_counter()

    def arguments(document):
        url = external_url("verify.check", code=document.verification_code)
        return document.kind, document.snapshot, document.reference, document.verification_code, url

    workers = pdf_workers(current_app.config["PDF_WORKERS"])
    if workers > 1:
        pdfs = render_pdfs((services.render_html(*arguments(d)) for d in documents), workers)
    else:
        pdfs = (services.render(*arguments(d)) for d in documents)
    with click.progressbar(
        zip(documents, pdfs, strict=True),
        length=len(documents),
        label=f"Rendering {len(documents)} agreement(s) in {workers} process(es)",
        show_pos=True,
    ) as bar:
        for document, data in bar:
            (folder / f"{document.reference}.pdf").write_bytes(data)
    elapsed = time.perf_counter() - started
    click.echo(f"{len(documents)} agreement(s) of {cohort.title} written to {folder}")
    if documents:
        click.echo(f"in {elapsed:.1f} s ({elapsed / len(documents):.2f} s per agreement).")
    waiting = services.confirmed_without_agreement(cohort)
    if waiting:
        click.echo(f"{len(waiting)} confirmed placement(s) still without an agreement:")
        for placement in waiting:
            application = placement.application
            click.echo(
                f"  - placement {placement.id}: {application.first_name} "
                f"{application.last_name} at {placement.offer.company.legal_name}"
            )
    else:
        click.echo("Every confirmed placement has its agreement.")


@agreements_group.command("issue")
@click.argument("year", type=int)
@click.option("--by", "by_email", required=True, help="E-mail of the coordinator issuing them.")
@click.option("--referent-name", required=True, help="The sending institution's referent teacher.")
@click.option("--referent-email", required=True, help="The referent teacher's e-mail address.")
@click.option("--teaching-hours", type=click.IntRange(0, 10_000), default=0, show_default=True)
@with_appcontext
def issue_command(
    year: int, by_email: str, referent_name: str, referent_email: str, teaching_hours: int
):
    """Issue the agreement of every confirmed placement of the cohort YEAR that has none.

    As the "Issue the agreement" page does for one, with the activities and skills of each
    offer, its days of leave and the company's address. Every agreement names the same referent
    teacher (e.g. the programme's academic referent): when each student has their own, issue
    them one by one on the agreements page. All or nothing: if one placement is refused, nothing
    is issued and every refusal is listed.
    """
    from ..accounts.models import Role, User
    from ..cohorts.models import Cohort
    from ..core.errors import DomainError
    from . import services

    cohort = db.session.scalar(select(Cohort).where(Cohort.year == year))
    if cohort is None:
        raise click.ClickException(f"No cohort for {year}.")
    actor = db.session.scalar(select(User).where(User.email == by_email.strip().lower()))
    if actor is None or actor.role not in (Role.coordinator, Role.admin) or not actor.is_active:
        raise click.ClickException(f"{by_email} is not an active coordinator account.")
    placements = services.confirmed_without_agreement(cohort)
    if not placements:
        click.echo("Every confirmed placement has its agreement: nothing to issue.")
        return

    def input_for(placement):
        return services.IssueInput(
            referent_name=referent_name,
            referent_email=referent_email,
            activities=placement.offer.description,
            skills_to_acquire=placement.offer.skills,
            teaching_hours=teaching_hours,
        )

    workers = pdf_workers(current_app.config["PDF_WORKERS"])
    click.echo(f"Issuing {len(placements)} agreement(s) of {cohort.title} ({workers} process(es))…")
    started = time.perf_counter()
    try:
        documents = services.issue_many(placements, input_for, actor, workers=workers)
    except services.BatchRefused as exc:
        for who, reason in exc.refusals:
            click.echo(f"  - {who}: {reason}", err=True)
        raise click.ClickException(exc.message) from None
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(
        f"{len(documents)} agreement(s) issued in {elapsed:.1f} s "
        f"({elapsed / len(documents):.2f} s per agreement); the parties are e-mailed to sign."
    )


@agreements_group.command("remind")
@with_appcontext
def remind_command():
    """E-mail the parties who have not signed the documents in force (once a day at most)."""
    from . import services

    count = services.send_reminders()
    db.session.commit()
    click.echo(f"{count} reminder e-mail(s) queued.")


@click.group("seal")
def seal_group():
    """The programme's electronic seal on the final PDFs."""


@seal_group.command("init-demo")
@with_appcontext
def seal_init_demo_command():
    """Create a self-signed demo certificate "MNC Exchange — démo" (5 years) at SEAL_KEY_PATH
    and SEAL_CERT_PATH (default: instance/seal/) unless both files exist. For demonstrations
    only: production uses the programme's real certificate."""
    from ..core import seal

    key = Path(current_app.config.get("SEAL_KEY_PATH") or "")
    cert = Path(current_app.config.get("SEAL_CERT_PATH") or "")
    if not current_app.config.get("SEAL_KEY_PATH") or not current_app.config.get("SEAL_CERT_PATH"):
        folder = Path(current_app.instance_path) / "seal"
        key, cert = folder / "demo-key.pem", folder / "demo-cert.pem"
    if key.is_file() and cert.is_file():
        click.echo(f"Seal certificate already there: {cert}")
        return
    if key.exists() or cert.exists():
        raise click.ClickException(
            f"Only one of {key} and {cert} exists: remove it or configure both paths."
        )
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("No demo certificate in the production configuration.")
    seal.create_demo_certificate(key, cert, current_app.config.get("SEAL_KEY_PASSPHRASE"))
    click.echo(f"Demo seal certificate written: {cert} (key {key}).")


@seal_group.command("status")
@with_appcontext
def seal_status_command():
    """Show the configured seal certificate (subject, expiry, SHA-256 fingerprint)."""
    from ..core import seal

    try:
        identity = seal.load_seal()
    except seal.SealUnavailable as exc:
        raise click.ClickException(f"No usable seal: {exc}") from None
    click.echo(f"Subject: {identity.subject}")
    click.echo(f"Valid until: {identity.not_after:%Y-%m-%d}")
    click.echo(f"SHA-256 fingerprint: {identity.fingerprint}")


@seal_group.command("finalise")
@with_appcontext
def seal_finalise_command():
    """Produce the final (sealed) version of every fully signed document that has none."""
    from . import services

    made, missing = services.finalise_pending()
    db.session.commit()
    click.echo(f"{made} final version(s) produced.")
    if missing:
        raise click.ClickException(f"{missing} document(s) still without a final version.")
