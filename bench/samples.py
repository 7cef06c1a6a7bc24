"""Render sample pages of the generated documents as PNG images into ``docs/samples/``
(``make samples``), so that anyone can see what the officials and the selection committee get.

Everything happens in a scratch instance folder (a temporary ``INSTANCE_PATH``: its own SQLite
database; nothing of ``instance/`` is read or written):

1. the migrations, then the demo data with its history (``flask demo-data``; about a minute);
2. a selection round on the current cohort, through ``selection.services`` exactly as the
   coordinators run it: two more reviewers, every eligible application reviewed by two of
   them (deterministic pseudo-random scores), a shortlist, the interviews and their scores,
   the decisions, one override with its reason, the publication;
3. the PDFs: the cohort report of the latest cohort with placements (French), the minutes of
   the selection round of step 2 (French), and the minutes of the previous cohort, whose
   scores were imported without reviews (French);
4. ``pdftoppm -png -r 60`` (poppler-utils) for a few pages of each, written to the output
   folder (default ``docs/samples``): ``cohort-report-YEAR-fr-pN.png``,
   ``selection-minutes-YEAR-fr-pN.png``.

Usage: python bench/samples.py [--output docs/samples] [--keep]
(``--keep`` keeps the scratch folder and prints where it is, with the PDFs).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The pages of each sample: (page number, or the words a page begins its section with; what
#: the page shows).
REPORT_PAGES = (
    (1, "cover"),
    (2, "key figures"),
    (3, "funnel"),
    (("3. Répartitions",), "breakdown by pole"),
    (("Par région d'origine",), "breakdown by region"),
    (("4. Tendances",), "trends, the cohort in progress apart"),
)
MINUTES_PAGES = (
    (1, "rules, grid, reviewers, reviews"),
    (("5. Classement final",), "final ranking"),
)
IMPORTED_PAGES = ((("5. Classement final",), "final ranking, scores imported"),)
RESOLUTION = 60


def _reviewer(role, name: str, email: str):
    from mnc_exchange.accounts.models import User
    from mnc_exchange.core.timeutils import utcnow
    from mnc_exchange.extensions import db

    user = User(
        email=email,
        full_name=name,
        role=role,
        locale="fr",
        active=True,
        approved_at=utcnow(),
        password_hash="!",  # noqa: S106 - no password: the account cannot log in
    )
    db.session.add(user)
    db.session.flush()
    return user


def selection_round(cohort, rng: random.Random) -> None:
    """Run the whole selection round of ``cohort`` through the services."""
    from sqlalchemy import select

    from mnc_exchange.accounts.models import Role, User
    from mnc_exchange.applications.models import Application, ApplicationStatus
    from mnc_exchange.core.timeutils import utcnow
    from mnc_exchange.extensions import db
    from mnc_exchange.selection import services
    from mnc_exchange.selection.models import AssignmentStatus, ReviewAssignment

    _reviewer(Role.coordinator, "Nadia El Fassi", "nadia.elfassi@demo.mnc.ma")
    _reviewer(Role.coordinator, "Youssef Amrani", "youssef.amrani@demo.mnc.ma")
    settings = services.settings_for(cohort)
    settings.shortlist_size = 36
    criteria = [c for c in services.rubric_for(cohort) if not c.is_interview]
    services.assign_reviewers(cohort)
    db.session.commit()

    # Each application has a "true" level; each reviewer scores around it.
    applications = db.session.scalars(
        select(Application)
        .where(Application.cohort_id == cohort.id, Application.status == ApplicationStatus.eligible)
        .order_by(Application.id)
    ).all()
    level = {a.id: rng.uniform(0.45, 0.95) for a in applications}
    for assignment in db.session.scalars(
        select(ReviewAssignment)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.cohort_id == cohort.id)
        .order_by(ReviewAssignment.id)
    ).all():
        if assignment.status is not AssignmentStatus.assigned:
            continue
        base = level[assignment.application_id]
        scores = {}
        for criterion in criteria:
            share = min(1.0, max(0.0, base + rng.uniform(-0.12, 0.12)))
            steps = Decimal(criterion.max_score) * 2  # half points
            scores[criterion.id] = str(Decimal(round(share * float(steps))) / 2)
        services.submit_review(assignment, scores)
    db.session.commit()

    services.make_shortlist(cohort)
    db.session.commit()
    coordinator = db.session.scalar(select(User).where(User.email == "coordinateur@demo.mnc.ma"))
    shortlisted = db.session.scalars(
        select(Application)
        .where(
            Application.cohort_id == cohort.id,
            Application.status == ApplicationStatus.shortlisted,
        )
        .order_by(Application.id)
    ).all()
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    for index, application in enumerate(shortlisted):
        services.schedule_interview(
            application, start + timedelta(minutes=30 * index), "MNC, Casablanca"
        )
    db.session.commit()
    for application in shortlisted:
        score = min(10, max(2, round(level[application.id] * 10 + rng.uniform(-1.5, 1.5))))
        services.score_interview(application, score, "", coordinator)
    db.session.commit()
    services.make_decisions(cohort)
    db.session.commit()
    waitlisted = db.session.scalar(
        select(Application)
        .where(
            Application.cohort_id == cohort.id,
            Application.status == ApplicationStatus.waitlisted,
        )
        .order_by(Application.waitlist_rank)
    )
    if waitlisted is not None:
        services.override_decision(
            waitlisted,
            ApplicationStatus.rejected,
            "Le stage visé exige un niveau de français C1, non atteint à l'entretien.",
        )
    services.publish(cohort)
    db.session.commit()


def render(pdf: Path, pages, output: Path, stem: str) -> list[tuple[str, str]]:
    """PNG files of ``pages`` of ``pdf`` in ``output``: [(file name, description)]."""
    made = []
    for page, description in pages:
        prefix = output / f"{stem}-p{page}"
        subprocess.run(  # noqa: S603 - fixed arguments, our own files
            [
                shutil.which("pdftoppm") or "pdftoppm",
                "-png",
                "-r",
                str(RESOLUTION),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(pdf),
                str(prefix),
            ],
            check=True,
        )
        made.append((f"{prefix.name}.png", description))
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "samples")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    if shutil.which("pdftoppm") is None:
        print("pdftoppm is missing: install poppler-utils.", file=sys.stderr)
        return 1

    scratch = Path(tempfile.mkdtemp(prefix="mnc-samples-"))
    os.environ["INSTANCE_PATH"] = str(scratch)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("SERVER_BASE_URL", "http://127.0.0.1:5000")

    from flask_babel import force_locale
    from flask_migrate import upgrade
    from sqlalchemy import select

    from mnc_exchange import create_app
    from mnc_exchange.cohorts.models import Cohort
    from mnc_exchange.demo import load_demo_data
    from mnc_exchange.extensions import db
    from mnc_exchange.reports.report import render_report
    from mnc_exchange.reports.views import _default_cohort
    from mnc_exchange.selection.minutes import minutes_pdf

    app = create_app()
    made: list[tuple[str, str]] = []
    args.output.mkdir(parents=True, exist_ok=True)
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            print("Loading the demo data with its history (about a minute)…", flush=True)
            load_demo_data(history=True)
            db.session.commit()
            cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.year)))
            current = next(c for c in cohorts if c.is_current)
            print(f"Selection round of the {current.year} cohort…", flush=True)
            selection_round(current, random.Random(2031))
        with app.test_request_context(), force_locale("fr"):
            cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.year)))
            current = next(c for c in cohorts if c.is_current)
            reported = _default_cohort(cohorts)
            previous = next(c for c in cohorts if c.year == current.year - 1)
            report = render_report(reported, "fr", date.today()).pdf
            minutes = minutes_pdf(current)
            imported = minutes_pdf(previous)
            documents = [
                (f"cohort-report-{reported.year}-fr", report, REPORT_PAGES),
                (f"selection-minutes-{current.year}-fr", minutes, MINUTES_PAGES),
                (f"selection-minutes-{previous.year}-fr", imported, IMPORTED_PAGES),
            ]
        for stem, pdf, pages in documents:
            path = scratch / f"{stem}.pdf"
            path.write_bytes(pdf)
            pages = [(_page_number(pdf, page), what) for page, what in pages]
            for old in args.output.glob(f"{stem}-p*.png"):
                old.unlink()
            for name, what in render(path, pages, args.output, stem):
                made.append((name, f"{stem}: {what}"))
    finally:
        if args.keep:
            print(f"Scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    total = sum((args.output / name).stat().st_size for name, _what in made)
    for name, what in made:
        print(f"  {args.output / name}  ({what})")
    print(f"{len(made)} page(s), {total / 1024:.0f} KiB in all.")
    return 0


def _page_number(pdf: bytes, page: int | tuple[str, ...]) -> int:
    """``page``, or the number of the first page (after the cover) holding one of the words."""
    import io

    from pypdf import PdfReader

    if isinstance(page, int):
        return page
    reader = PdfReader(io.BytesIO(pdf))
    for number, content in enumerate(reader.pages, start=1):
        text = " ".join((content.extract_text() or "").split())
        if number > 1 and any(words in text for words in page):
            return number
    raise SystemExit(f"No page holds {page!r}.")


if __name__ == "__main__":
    sys.exit(main())
