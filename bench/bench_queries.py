"""Count the SQL statements of the main list pages at two data sizes: the count must not grow.

For each size N (default 5 and 40) a throw-away SQLite database (temporary folder, test
configuration) gets one cohort built through the real services:

- N approved companies, each with a host contact, a tutor, one published offer; plus N pending
  companies, each with a submitted offer (for the coordinators' review lists);
- 2N selected students (published decisions); N rank one offer each, the matching is run and
  committed, the companies confirm (N internships with their follow-up checklists);
- an agreement issued for every placement (the PDF rendering is replaced by a tiny PDF: only
  the queries matter here) and one incident reported per intern.

Then a coordinator opens each page with the Flask test client while a SQLAlchemy
``before_cursor_execute`` listener counts the statements. A page whose count differs between
the two sizes runs a query per row (an "N+1"), and the script exits with status 1.

Usage: python bench/bench_queries.py [--small 5] [--large 40]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TODAY = date(2026, 11, 26)
YEAR = 2027

#: (endpoint, URL without the cohort parameter, the parameter naming the cohort)
PAGES = [
    ("screening.index", "/screening/", "cohort"),
    ("offers.review", "/offers", "cohort"),
    ("matching.index", "/matching", "cohort"),
    ("agreements.index", "/agreements/", "cohort"),
    ("followup.board", "/followup", "cohort"),
    ("followup.returns", "/followup/returns", "cohort"),
    ("companies.index", "/companies", None),
    ("reports.dashboard", "/reports", "year"),
]

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - tests.factories.PASSWORD


def _tiny_pdf(kind, snapshot, reference, code, verify_url) -> bytes:
    from tests.factories import SAMPLE_PDF

    return SAMPLE_PDF


def build(n: int) -> tuple[int, str, dict[str, int]]:
    """The cohort described in the module docstring; returns (cohort id, coordinator e-mail,
    row counts)."""
    from sqlalchemy import func, select

    from mnc_exchange.accounts.models import Role
    from mnc_exchange.agreements import services as agreements
    from mnc_exchange.agreements.models import Agreement
    from mnc_exchange.applications.models import Institution
    from mnc_exchange.cohorts.models import CohortState
    from mnc_exchange.extensions import db
    from mnc_exchange.followup import services as followup
    from mnc_exchange.followup.models import IncidentCategory, Internship, Severity
    from mnc_exchange.hosts.models import Company
    from mnc_exchange.offers.models import Offer
    from mnc_exchange.placements import services as placements
    from tests.factories import (
        CohortFactory,
        CompanyFactory,
        OfferFactory,
        UserFactory,
        make_selected,
    )

    cohort = CohortFactory(
        year=YEAR, state=CohortState.matching, is_current=True, quota=max(30, 2 * n)
    )
    coordinator = UserFactory(role=Role.coordinator, locale="en", password=PASSWORD)
    institution = Institution(
        name="École Nationale Supérieure d’Informatique et d’Analyse des Systèmes",
        city="Rabat",
        legal_representative="Pr. Amina Alaoui",
        address="Avenue Mohammed Ben Abdallah Regragui, Madinat Al Irfane",
    )
    db.session.add(institution)

    offers, hosts = [], []
    for _ in range(n):
        company = CompanyFactory()
        hosts.append(UserFactory(role=Role.host, company_id=company.id))
        offers.append(OfferFactory(cohort=cohort, company=company))
        pending = CompanyFactory(status="pending", approved_at=None)
        OfferFactory(cohort=cohort, company=pending, status="submitted")

    selected = make_selected(cohort, 2 * n)
    for i, application in enumerate(selected):
        application.institution = institution
        application.birth_date = date(2003, 1 + i % 12, 1 + i % 28)
        application.cin = f"AB{100000 + i}"
        application.passport_number = f"ZX{1000000 + i}"
        application.phone = "+212600000000"
    for application, offer in zip(selected, offers, strict=False):
        placements.set_preferences(application, [offer.id], application.student)
    db.session.commit()

    run = placements.run_preview(cohort, coordinator)
    committed = placements.commit_run(run, coordinator)
    db.session.commit()
    host_of = {offer.id: host for offer, host in zip(offers, hosts, strict=True)}
    for placement in committed:
        placements.confirm(placement, host_of[placement.offer_id])
        db.session.commit()

    data = agreements.IssueInput(
        referent_name="Pr. Youssef Bennani",
        referent_email="y.bennani@example.ma",
        activities="Conception et développement d’API de paiement mobile.",
        skills_to_acquire="Architecture logicielle, tests automatisés.",
        teaching_hours=420,
        leave_days=5,
    )
    real_render, agreements.render = agreements.render, _tiny_pdf
    try:
        for placement in committed:
            agreements.issue(placement, data, coordinator, today=TODAY)
            db.session.commit()
    finally:
        agreements.render = real_render

    for internship in db.session.scalars(select(Internship)):
        followup.report_incident(
            internship,
            coordinator,
            IncidentCategory.other,
            Severity.low,
            TODAY,
            "Retard de badge",
            "Le badge d'accès n'était pas prêt le premier jour.",
            today=TODAY,
        )
    db.session.commit()

    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    rows = {
        "companies": count(Company),
        "offers": count(Offer),
        "selected": len(selected),
        "internships": count(Internship),
        "agreements": count(Agreement),
    }
    return cohort.id, coordinator.email, rows


def measure(n: int) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """(statement count, page size in bytes) per page for a world of size ``n``; and the
    world's row counts."""
    from sqlalchemy import event

    from mnc_exchange import create_app
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
            cohort_id, email, rows = build(n)
            engine = db.engine
            db.session.remove()

        # Requests run outside the set-up's app context, each with its own session.
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"login failed: HTTP {response.status_code}")
        statements: list[str] = []

        def before(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        counts: dict[str, tuple[int, int]] = {}
        for endpoint, url, parameter in PAGES:
            query = {}
            if parameter == "cohort":
                query = {"cohort": cohort_id}
            elif parameter == "year":
                query = {"year": YEAR}
            client.get(url, query_string=query)  # warm-up: first-request work is not counted
            statements.clear()
            event.listen(engine, "before_cursor_execute", before)
            try:
                response = client.get(url, query_string=query)
            finally:
                event.remove(engine, "before_cursor_execute", before)
            if response.status_code != 200:
                raise SystemExit(f"{endpoint}: HTTP {response.status_code}")
            counts[endpoint] = (len(statements), len(response.data))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return counts, rows


def main(argv: list[str] | None = None) -> int:
    """Measure at both sizes and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=5)
    parser.add_argument("--large", type=int, default=40)
    args = parser.parse_args(argv)

    results = {}
    for n in (args.small, args.large):
        start = time.perf_counter()
        counts, rows = measure(n)
        results[n] = counts
        described = ", ".join(f"{v} {k}" for k, v in rows.items())
        print(f"N={n}: {described} (built and measured in {time.perf_counter() - start:.1f} s)")

    small, large = results[args.small], results[args.large]
    width = max(len(endpoint) for endpoint, _url, _p in PAGES)
    a, b = f"N={args.small}", f"N={args.large}"
    print()
    print(f"{'':<{width}}  {'SQL statements':^17}  {'page size (KiB)':^17}")
    print(f"{'page':<{width}}  {a:>8} {b:>8}  {a:>8} {b:>8}  verdict")
    grew = []
    for endpoint, _url, _parameter in PAGES:
        (q1, size1), (q2, size2) = small[endpoint], large[endpoint]
        verdict = "constant" if q1 == q2 else "GROWS WITH THE ROWS"
        if q1 != q2:
            grew.append(endpoint)
        print(
            f"{endpoint:<{width}}  {q1:>8} {q2:>8}  {size1 / 1024:>8.0f} {size2 / 1024:>8.0f}  "
            f"{verdict}"
        )
    if grew:
        print(f"\nqueries per row on: {', '.join(grew)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
