"""The list pages at 5, 50 and 500 rows: SQL statements and milliseconds per page.

A throw-away SQLite database (or ``--database-url``) gets, per size N, N rows for each list
(bulk inserts of tests/list_data.py: applications, offers in review, a company's offers,
placements and unplaced students, agreements with signatures, interns with their checklist,
companies, users, audit events, outbox messages), each page's list in a cohort of its own.
Then a coordinator (an admin for the admin pages, a host for the company's offers) opens each
page: the SQL statements are counted (a ``before_cursor_execute`` listener) and the median
time of ``--repeat`` requests through the Flask test client is printed. A page whose count
differs between the sizes runs a query per row, and the script exits with status 1.

Usage: python bench/bench_list_pages.py [--sizes 5 50 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - tests.factories.PASSWORD

#: (name, URL with {cohort} placeholders, who opens it)
PAGES = [
    ("screening", "/screening/?cohort={screening}", "coordinator"),
    ("offers review", "/offers?cohort={offers}", "coordinator"),
    ("company offers", "/company/offers", "host"),
    ("matching", "/matching?cohort={matching}", "coordinator"),
    ("agreements", "/agreements/?cohort={agreements}", "coordinator"),
    ("follow-up board", "/followup?cohort={followup}", "coordinator"),
    ("incidents", "/followup/incidents?cohort={followup}", "coordinator"),
    ("returns", "/followup/returns?cohort={followup}", "coordinator"),
    ("companies", "/companies", "coordinator"),
    ("users", "/admin/users", "admin"),
    ("audit log", "/admin/audit", "admin"),
    ("outbox", "/admin/outbox", "admin"),
]


def setup():
    """The people and cohorts; returns (cohort ids by list, e-mails by role, host company)."""
    from datetime import date

    from mnc_exchange.accounts.models import Role
    from mnc_exchange.cohorts.models import CohortState
    from mnc_exchange.extensions import db
    from tests import list_data
    from tests.factories import CohortFactory, CompanyFactory, UserFactory

    cohorts = {
        name: CohortFactory(
            year=year, state=CohortState.matching, is_current=(name == "offers"), quota=200
        ).id
        for name, year in (
            ("screening", 2031),
            ("offers", 2027),
            ("matching", 2032),
            ("agreements", 2033),
            ("followup", 2034),
            ("previous", 2026),
        )
    }
    company = CompanyFactory()
    people = {
        "coordinator": UserFactory(role=Role.coordinator, locale="en").email,
        "admin": UserFactory(role=Role.admin, locale="en").email,
        "host": UserFactory(role=Role.host, company_id=company.id, locale="en").email,
    }
    institutions = list_data.institutions(3)
    db.session.commit()
    return cohorts, people, company.id, institutions, date(2033, 4, 1)


def grow(n: int, cohorts: dict, company_id: int, institutions: list[int], start) -> None:
    """Add ``n`` rows to every list."""
    from sqlalchemy import select

    from mnc_exchange.accounts.models import Role, User
    from mnc_exchange.applications.models import ApplicationStatus
    from mnc_exchange.extensions import db
    from mnc_exchange.offers.models import OfferStatus
    from mnc_exchange.placements.models import PlacementStatus
    from tests import list_data as ld

    companies = ld.companies(max(n // 5, 1))
    ld.applications(cohorts["screening"], n, ApplicationStatus.submitted, institutions)
    statuses = (OfferStatus.submitted, OfferStatus.published, OfferStatus.approved)
    ld.offers(cohorts["offers"], companies, n, statuses)
    ld.offers(cohorts["offers"], [company_id], n - n // 2, statuses)
    ld.offers(cohorts["previous"], [company_id], n // 2, (OfferStatus.closed,), year=2026)
    ld.placed_students(cohorts["matching"], companies, n, PlacementStatus.proposed)
    ld.applications(cohorts["matching"], n, ApplicationStatus.selected)  # unplaced
    ld.offers(cohorts["matching"], companies, n, (OfferStatus.published,))
    placed, _offers = ld.placed_students(cohorts["agreements"], companies, 2 * n)
    ld.agreements(cohorts["agreements"], placed[:n], year=2033)  # the other n wait
    placed, _offers = ld.placed_students(cohorts["followup"], companies, n)
    coordinator = db.session.scalar(select(User.id).where(User.role == Role.coordinator))
    ld.internships(cohorts["followup"], placed, coordinator, start)  # n/2 open incidents
    ld.companies(n)
    ld.users(n)
    ld.audit_events(n, ld.users(3, Role.coordinator))
    ld.outbox(n)
    db.session.commit()


def measure(app, client, url: str, repeat: int) -> tuple[int, float, int]:
    """(SQL statements, median ms, page size in bytes) of one page."""
    from sqlalchemy import event

    from mnc_exchange.extensions import db

    with app.app_context():
        engine = db.engine
    client.get(url)  # warm-up
    statements: list[str] = []

    def before(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return len(statements), statistics.median(times), len(response.data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="an EMPTY database (it is wiped)")
    args = parser.parse_args(argv)

    from mnc_exchange import create_app
    from mnc_exchange.extensions import db

    results: dict[int, dict[str, tuple[int, float, int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
        app = create_app(
            {"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": folder}
        )
        app.logger.setLevel(logging.WARNING)
        with app.app_context():
            db.drop_all()
            db.create_all()
            cohorts, people, company_id, institutions, start = setup()
        clients = {}
        for role, email in people.items():
            clients[role] = app.test_client()
            response = clients[role].post("/login", data={"email": email, "password": PASSWORD})
            if response.status_code != 302:
                raise SystemExit(f"login of the {role} failed: HTTP {response.status_code}")
        built = 0
        for n in sorted(args.sizes):
            with app.app_context():
                grow(n - built, cohorts, company_id, institutions, start)
                db.session.remove()
            built = n
            results[n] = {
                name: measure(app, clients[who], page.format(**cohorts), args.repeat)
                for name, page, who in PAGES
            }
            print(f"N={n} built", flush=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    sizes = sorted(args.sizes)
    print()
    head = " ".join(f"{'N=' + str(n):>7}" for n in sizes)
    print(f"{'page':<16} {'SQL statements':^{8 * len(sizes)}} {'ms (median)':^{8 * len(sizes)}}")
    print(f"{'':<16} {head} {head}  verdict")
    grew = []
    for name, _page, _who in PAGES:
        counts = [results[n][name][0] for n in sizes]
        ms = [results[n][name][1] for n in sizes]
        verdict = "constant" if len(set(counts)) == 1 else "GROWS WITH THE ROWS"
        if len(set(counts)) != 1:
            grew.append(name)
        print(
            f"{name:<16} {' '.join(f'{c:>7}' for c in counts)} "
            f"{' '.join(f'{m:>7.1f}' for m in ms)}  {verdict}"
        )
    if grew:
        print(f"\nqueries per row on: {', '.join(grew)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
