"""Benchmark the yearly cohort report (issue 8: "it renders in a few seconds even for a cohort
with 2,000 applicants").

Builds a throw-away SQLite database (temporary folder, test-like configuration) with:

- the measured cohort, two years back (so that every survey is due): ``--applicants`` (default
  2,000) applications inserted in bulk (users, applications, 40 institutions), spread over
  every status, region and gender; ``--placed`` of the selected students (default 30) are
  placed through the real services (confirmed by their host company, departure, returns, an
  early end, the employment surveys answered, incidents, monthly check-ins, the tutors' final
  evaluations);
- ``--history`` earlier cohorts (default 2) of ``--history-applicants`` applications each
  (default 1,000, no placement), so that the trends load several cohorts as in production.

Then times, each as the median of ``--runs`` runs (default 3) after one warm-up render (the
first one loads the fonts and compiles the template):

- ``load_records``: the records of the measured cohort (a fixed number of queries);
- ``report_html``: the figures of every cohort (trends), the tables, the SVG charts and the
  template, in French;
- ``cohort_report_pdf``: the whole report (HTML and WeasyPrint), in French and in English.

Wall-clock times depend on the machine's load; the CPU times (``time.process_time``) less so.

Usage: python bench/bench_report.py [--applicants 2000] [--placed 30] [--history 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST_NAMES = (
    "Yassine", "Salma", "Omar", "Imane", "Mehdi", "Kawtar", "Hamza", "Zineb", "Anas", "Hiba",
    "Ayoub", "Meryem", "Reda", "Soukaina", "Ilyas", "Chaïmae", "Achraf", "Fatima-Zahra",
    "Othmane", "Nouhaila", "محمد", "فاطمة",
)  # fmt: skip
LAST_NAMES = (
    "Alaoui", "Benjelloun", "Berrada", "Chraibi", "El Idrissi", "Fassi-Fihri", "Lahlou",
    "Naciri", "Ouazzani", "Tazi", "Bennani", "El Amrani", "Sqalli", "Kettani", "Ziani",
    "Hajji", "Belkadi", "Maâroufi", "العلوي", "بنعلي",
)  # fmt: skip
CITIES = ("Paris", "Lyon", "Toulouse", "Nantes", "Lille", "Bordeaux", "Sophia Antipolis")
POLES = ("software", "mobile", "security", "multimedia")


def _statuses(count: int) -> list:
    """Statuses of ``count`` applications, in realistic proportions (the selected last)."""
    from mnc_exchange.applications.models import ApplicationStatus as A

    shares = [
        (A.draft, 0.10),
        (A.submitted, 0.03),
        (A.ineligible, 0.20),
        (A.eligible, 0.25),
        (A.scored, 0.15),
        (A.rejected, 0.15),
        (A.withdrawn, 0.02),
        (A.shortlisted, 0.03),
        (A.interviewed, 0.02),
        (A.waitlisted, 0.02),
    ]
    selected = max(40, count // 50)
    out = []
    for status, share in shares:
        out += [status] * int(count * share)
    out = out[: count - selected]
    out += [A.eligible] * (count - selected - len(out))
    return out + [A.selected] * selected


def bulk_applicants(cohort, count: int, institutions: list[int], rng: random.Random) -> list[int]:
    """``count`` students and their applications, inserted in bulk; ids of the selected ones."""
    from sqlalchemy import insert, select

    from mnc_exchange.accounts.models import Role, User
    from mnc_exchange.applications.models import Application, ApplicationStatus
    from mnc_exchange.applications.reference import REGIONS
    from mnc_exchange.core.timeutils import utcnow
    from mnc_exchange.extensions import db

    now = utcnow()
    first_user = (db.session.scalar(select(db.func.max(User.id))) or 0) + 1
    db.session.execute(
        insert(User),
        [
            {
                "email": f"applicant{cohort.year}-{i}@example.org",
                "password_hash": "!",
                "full_name": f"Applicant {i}",
                "role": Role.student,
                "locale": "fr",
                "active": True,
                "approved_at": now,
            }
            for i in range(count)
        ],
    )
    user_ids = list(
        db.session.scalars(select(User.id).where(User.id >= first_user).order_by(User.id))
    )
    regions = list(REGIONS)
    rows = []
    for i, (user_id, status) in enumerate(zip(user_ids, _statuses(count), strict=True)):
        submitted = status is not ApplicationStatus.draft
        rows.append(
            {
                "cohort_id": cohort.id,
                "student_id": user_id,
                "status": status,
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": rng.choice(LAST_NAMES),
                "gender": rng.choice(("female", "male", None)) if i % 20 else None,
                "region": rng.choice(regions) if i % 25 else None,
                "institution_id": rng.choice(institutions) if i % 30 else None,
                "programme": "Génie logiciel",
                "pole_ranking": list(POLES),
                "eligibility_reasons": [],
                "submitted_at": now if submitted else None,
                "review_score": 60 + i % 30 if status is ApplicationStatus.withdrawn else None,
                "final_rank": i if status is ApplicationStatus.selected else None,
            }
        )
    db.session.execute(insert(Application), rows)
    db.session.commit()
    return list(
        db.session.scalars(
            select(Application.id).where(
                Application.cohort_id == cohort.id,
                Application.status == ApplicationStatus.selected,
            )
        )
    )


def place_and_follow(cohort, application_ids: list[int], rng: random.Random) -> None:
    """Place the students through the real services and follow their year: departures,
    returns (one early end, a few not confirmed), surveys, incidents, check-ins, evaluations."""
    from mnc_exchange.accounts.models import Role
    from mnc_exchange.applications.models import Application
    from mnc_exchange.extensions import db
    from mnc_exchange.followup import services as followup
    from mnc_exchange.followup.models import (
        EmploymentSurvey,
        EvaluationKind,
        IncidentCategory,
        Internship,
        Severity,
        Situation,
    )
    from mnc_exchange.placements import services as placements
    from mnc_exchange.placements.models import Placement
    from mnc_exchange.selection.models import SelectionSettings
    from tests.factories import CompanyFactory, OfferFactory, UserFactory

    year = cohort.year
    settings = db.session.query(SelectionSettings).filter_by(cohort_id=cohort.id).one_or_none()
    if settings is None:
        db.session.add(SelectionSettings(cohort_id=cohort.id, reviewers_per_application=2))
    db.session.commit()
    coordinator = UserFactory(role=Role.coordinator)
    companies = []
    for n in range(12):
        company = CompanyFactory(
            legal_name=f"Société Numérique {n + 1} SAS", city=CITIES[n % len(CITIES)]
        )
        companies.append((company, UserFactory(role=Role.host, company_id=company.id)))

    internships = []
    for n, application_id in enumerate(application_ids):
        company, host = companies[n % len(companies)]
        offer = OfferFactory(
            cohort=cohort,
            company=company,
            pole=POLES[n % len(POLES)],
            city=company.city,
            start_on=date(year, 3, 2),
            end_on=date(year, 7, 31),
            monthly_stipend=650 + 25 * (n % 5),
        )
        placement = Placement(cohort_id=cohort.id, application_id=application_id, offer_id=offer.id)
        db.session.add(placement)
        db.session.flush()
        placements.confirm(placement, host)
        db.session.commit()
        internships.append(db.session.query(Internship).filter_by(placement_id=placement.id).one())

    situations = (
        Situation.employed_morocco,
        Situation.employed_morocco,
        Situation.employed_abroad,
        Situation.studying,
        Situation.seeking,
    )
    criteria = followup.criteria_for(cohort)
    for n, internship in enumerate(internships):
        if n == len(internships) - 1:
            continue  # placed, never departed
        step = next(s for s in internship.steps if s.key == "departure")
        followup.update_step(step, step.due_on, None, coordinator)
        student = db.session.get(Application, internship.placement.application_id).student
        followup.submit_checkin(
            internship, date(year, 4, 1), 3 + n % 3, 3, "Beaucoup appris", "", student
        )
        if n == 0:
            followup.end_early(
                internship, date(year, 5, 15), "Raisons familiales", True, coordinator
            )
        elif n % 10 != 9:  # a few returns are not confirmed
            followup.confirm_return(internship, date(year, 8, 5), coordinator)
            db.session.flush()
            for wave in (3, 6, 12):
                if (n + wave) % 7 == 0:
                    continue  # unanswered
                survey = (
                    db.session.query(EmploymentSurvey)
                    .filter_by(internship_id=internship.id, wave=wave)
                    .one()
                )
                situation = situations[(n + wave) % len(situations)]
                employed = situation in (Situation.employed_morocco, Situation.employed_abroad)
                followup.answer_survey(
                    survey,
                    followup.SituationInput(
                        situation=situation,
                        employer="Entreprise Marocaine" if employed else None,
                        job_title="Ingénieur logiciel" if employed else None,
                        contract_type=followup.ContractType.permanent if employed else None,
                    ),
                    coordinator,
                )
        if n % 4 == 0:
            followup.report_incident(
                internship,
                coordinator,
                list(IncidentCategory)[(n // 4) % len(IncidentCategory)],
                list(Severity)[(n // 4) % len(Severity)],
                date(year, 3 + n % 5, 10),
                "Incident",
                "Description de l'incident.",
            )
        db.session.commit()
        if n % 3 == 0:
            _evaluation, token = followup.send_evaluation_link(
                internship, EvaluationKind.final, coordinator
            )
            db.session.commit()
            followup.submit_evaluation(token, {c.key: 4 for c in criteria}, 3 + n % 3, "Bien")
            db.session.commit()
    del rng


def build(applicants: int, placed: int, history: int, history_applicants: int):
    from mnc_exchange.applications.models import Institution
    from mnc_exchange.cohorts.models import CohortState
    from mnc_exchange.extensions import db
    from tests.factories import CohortFactory

    rng = random.Random(2031)
    institutions = [
        Institution(
            name=f"École d'ingénieurs {n + 1}",
            city="Rabat",
            legal_representative="Pr. Amina Alaoui",
            address="Avenue Mohammed Ben Abdallah Regragui",
        )
        for n in range(40)
    ]
    db.session.add_all(institutions)
    db.session.commit()
    institution_ids = [i.id for i in institutions]
    year = date.today().year - 2
    for back in range(history, 0, -1):
        earlier = CohortFactory(year=year - back, quota=30, state=CohortState.closed)
        bulk_applicants(earlier, history_applicants, institution_ids, rng)
    cohort = CohortFactory(year=year, quota=max(30, placed), state=CohortState.abroad)
    selected = bulk_applicants(cohort, applicants, institution_ids, rng)
    place_and_follow(cohort, selected[:placed], rng)
    return cohort


def timed(function: Callable, runs: int) -> tuple[list[float], list[float], object]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return walls, cpus, result


def line(name: str, walls: list[float], cpus: list[float], extra: str = "") -> str:
    return (
        f"{name:<28} median {statistics.median(walls):6.3f} s  (min {min(walls):.3f}, "
        f"max {max(walls):.3f}; CPU median {statistics.median(cpus):.3f} s){extra}"
    )


def main(argv: list[str] | None = None) -> int:
    """Build the data, run the benchmark and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=2000)
    parser.add_argument("--placed", type=int, default=30)
    parser.add_argument("--history", type=int, default=2)
    parser.add_argument("--history-applicants", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="Also write the PDFs here.")
    args = parser.parse_args(argv)

    from mnc_exchange import create_app
    from mnc_exchange.extensions import db
    from mnc_exchange.reports.data import load_records
    from mnc_exchange.reports.metrics import funnel
    from mnc_exchange.reports.report import cohort_report_pdf, render_report, report_html

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "CONFIG_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                "UPLOAD_FOLDER": folder,
            }
        )
        app.logger.setLevel(logging.WARNING)  # not one line per e-mail queued
        with app.app_context():
            db.create_all()
            t0 = time.perf_counter()
            cohort = build(args.applicants, args.placed, args.history, args.history_applicants)
            built_in = time.perf_counter() - t0
            cutoff = date.today()
            records = load_records(cohort, cutoff)
            counts = funnel(records)
            print(
                f"data: cohort {cohort.year} with {len(records)} applications "
                f"({counts['applied']} submitted, {counts['selected']} selected, "
                f"{counts['placed']} placed, {counts['returned']} returned) and {args.history} "
                f"earlier cohort(s) of {args.history_applicants} applications; built in "
                f"{built_in:.1f} s"
            )

            warm = time.perf_counter()
            first = render_report(cohort, "fr", cutoff)
            print(
                f"first render (cold: fonts, templates): {time.perf_counter() - warm:.2f} s; "
                f"{first.pages} pages, {len(first.pdf) / 1024:.0f} KiB"
            )
            walls, cpus, _r = timed(lambda: load_records(cohort, cutoff), args.runs)
            print(line("load_records", walls, cpus, f"; {len(records)} records"))
            walls, cpus, html = timed(lambda: report_html(cohort, "fr", cutoff), args.runs)
            print(line("report_html (fr)", walls, cpus, f"; {len(html) / 1024:.0f} KiB of HTML"))
            for lang in ("fr", "en"):
                walls, cpus, pdf = timed(
                    lambda lang=lang: cohort_report_pdf(cohort, lang, cutoff), args.runs
                )
                print(
                    line(f"cohort_report_pdf ({lang})", walls, cpus, f"; {len(pdf) / 1024:.0f} KiB")
                )
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / f"bench-report-{cohort.year}-{lang}.pdf").write_bytes(pdf)
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
