"""Benchmark the agreement PDFs: one agreement rendered N times, then a cohort's batch.

Builds a throw-away SQLite database (temporary folder, test-like configuration) with one cohort
of ``--cohort`` confirmed placements (default 30, the programme's yearly quota), then times:

- ``render``: one agreement's HTML (Jinja) + PDF (WeasyPrint), median of ``--runs`` renders
  after a warm-up render (the first one loads the fonts);
- ``issue``: the whole ``agreements.services.issue()`` of one placement (law checks, snapshot,
  render, SHA-256, storage, e-mails queued);
- the batch: ``issue_many()`` for every placement of the cohort, as ``flask agreements issue``
  does (the PDFs laid out in ``--workers`` processes); with ``--sequential``, also ``issue()``
  one placement after the other, as the web page does.

Wall-clock times depend on the machine's load; the CPU times (``time.process_time``) less so.

Usage: python bench/bench_agreements.py [--runs 10] [--cohort 30] [--workers 0] [--sequential]
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TODAY = date(2026, 11, 26)


def build_cohort(size: int):
    """A 2027 cohort with ``size`` confirmed placements, each at its own host with a tutor."""

    from mnc_exchange.accounts.models import Role
    from mnc_exchange.applications.models import Institution
    from mnc_exchange.cohorts.models import CohortState
    from mnc_exchange.extensions import db
    from mnc_exchange.placements.models import Placement, PlacementStatus
    from tests.factories import CohortFactory, OfferFactory, UserFactory, make_selected

    cohort = CohortFactory(year=2027, state=CohortState.matching, is_current=True)
    coordinator = UserFactory(role=Role.coordinator)
    institution = Institution(
        name="École Nationale Supérieure d’Informatique et d’Analyse des Systèmes",
        city="Rabat",
        legal_representative="Pr. Amina Alaoui",
        address="Avenue Mohammed Ben Abdallah Regragui, Madinat Al Irfane",
    )
    db.session.add(institution)
    placements = []
    for i, application in enumerate(make_selected(cohort, size)):
        application.institution = institution
        application.birth_date = date(2003, 1 + i % 12, 1 + i % 28)
        application.cin = f"AB{100000 + i}"
        application.passport_number = f"ZX{1000000 + i}"
        offer = OfferFactory(cohort=cohort)
        UserFactory(role=Role.host, company_id=offer.company_id)
        placement = Placement(
            cohort_id=cohort.id,
            application_id=application.id,
            offer_id=offer.id,
            status=PlacementStatus.confirmed,
        )
        db.session.add(placement)
        placements.append(placement)
    db.session.commit()
    return coordinator, placements


def issue_input():
    from mnc_exchange.agreements.services import IssueInput

    return IssueInput(
        referent_name="Pr. Youssef Bennani",
        referent_email="y.bennani@example.ma",
        activities="Conception et développement d’API de paiement mobile.\n" * 3,
        skills_to_acquire="Architecture logicielle, tests automatisés, méthodes agiles.",
        teaching_hours=420,
        leave_days=5,
        benefits="Titres-restaurant de 9 € par jour travaillé.",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cohort", type=int, default=30)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes of the batch (issue_many, as `flask agreements issue`); 0: one per CPU",
    )
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="also issue the cohort one agreement after the other (as the web page does)",
    )
    args = parser.parse_args(argv)

    from mnc_exchange import create_app
    from mnc_exchange.agreements import services
    from mnc_exchange.agreements.models import DocumentKind
    from mnc_exchange.extensions import db

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
            coordinator, placements = build_cohort(args.cohort * (2 if args.sequential else 1) + 1)
            print(
                f"data: {len(placements)} confirmed placements in a temporary SQLite database "
                f"(built in {time.perf_counter() - t0:.2f} s)"
            )

            # One agreement: issue it once, then render its snapshot again and again.
            start = time.perf_counter()
            document = services.issue(placements[0], issue_input(), coordinator, today=TODAY)
            db.session.commit()
            first_issue = time.perf_counter() - start
            snapshot, code = document.snapshot, document.verification_code
            url = services._verify_url(code)
            renders, cpu, sizes = [], [], []
            for _ in range(args.runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                data = services.render(
                    DocumentKind.agreement, snapshot, document.reference, code, url
                )
                renders.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                sizes.append(len(data))
            print(
                f"first issue() (cold: fonts, templates): {first_issue:.3f} s; PDF "
                f"{document.size / 1024:.0f} KiB"
            )
            print(
                f"render one agreement over {args.runs} runs: min {min(renders):.3f} s, "
                f"median {statistics.median(renders):.3f} s, max {max(renders):.3f} s "
                f"(CPU median {statistics.median(cpu):.3f} s; {sizes[-1] / 1024:.0f} KiB)"
            )

            # The cohort's batch, as `flask agreements issue`: issue_many() in several processes.
            from mnc_exchange.core.pdf import pdf_workers

            batch = placements[1 : args.cohort + 1]
            workers = pdf_workers(args.workers)
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            start, start_cpu = time.perf_counter(), time.process_time()
            documents = services.issue_many(
                batch, lambda _placement: issue_input(), coordinator, TODAY, workers
            )
            db.session.commit()
            total, total_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            workers_cpu = (after.ru_utime + after.ru_stime) - (
                children.ru_utime + children.ru_stime
            )
            print(
                f"batch (issue_many, {workers} processes): {len(documents)} agreements issued in "
                f"{total:.2f} s ({total / len(documents):.3f} s per agreement; CPU: this process "
                f"{total_cpu:.2f} s, the rendering processes {workers_cpu:.2f} s)"
            )
            if not args.sequential:
                db.session.remove()
                db.engine.dispose()
                return 0
            # Then one after the other, as the web page issues them, on the other placements.
            batch = placements[args.cohort + 1 :]
            per_agreement = []
            start, start_cpu = time.perf_counter(), time.process_time()
            for placement in batch:
                one = time.perf_counter()
                services.issue(placement, issue_input(), coordinator, today=TODAY)
                db.session.commit()
                per_agreement.append(time.perf_counter() - one)
            total, total_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            print(
                f"batch: {len(batch)} agreements issued in {total:.2f} s "
                f"({total / len(batch):.3f} s per agreement; median "
                f"{statistics.median(per_agreement):.3f} s, max {max(per_agreement):.3f} s; "
                f"CPU {total_cpu:.2f} s, {total_cpu / len(batch):.3f} s per agreement)"
            )
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
