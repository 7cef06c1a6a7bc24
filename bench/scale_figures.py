"""The scale data set's size and the reports' single-user times, against a running server
(``bench/scale.sh`` starts it on PostgreSQL with ``flask demo-data --scale N``).

Prints: how many rows of each kind the database holds (read with the app's models, through
``DATABASE_URL``); the first view of the reports dashboard for every cohort (the figures of a
finished cohort are computed then kept), then ``--repeat`` views of each (median and maximum);
the cohort report PDF (French) of the largest cohort — the one with the most applications —
twice, with its size.

Usage: python bench/scale_figures.py --base-url http://127.0.0.1:8000 [--repeat 10]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_throughput import Client, login  # noqa: E402

YEAR_OPTION = re.compile(r'<option value="(\d{4})"')


def counts() -> tuple[dict[str, int], int, int]:
    """Rows per table; (year of the largest cohort, its applications)."""
    from sqlalchemy import func, select

    from mnc_exchange import create_app
    from mnc_exchange.extensions import db
    from mnc_exchange.models import (
        Agreement,
        AgreementDocument,
        Application,
        CheckIn,
        Cohort,
        EmploymentSurvey,
        Incident,
        Internship,
        Offer,
        Placement,
        User,
    )
    from mnc_exchange.placements.models import PlacementStatus

    app = create_app()
    with app.app_context():
        rows = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (
                User,
                Application,
                Offer,
                Placement,
                Internship,
                Agreement,
                AgreementDocument,
                EmploymentSurvey,
                CheckIn,
                Incident,
            )
        }
        rows["confirmed placements"] = db.session.scalar(
            select(func.count())
            .select_from(Placement)
            .where(Placement.status == PlacementStatus.confirmed)
        )
        year, size = db.session.execute(
            select(Cohort.year, func.count(Application.id))
            .join(Application, Application.cohort_id == Cohort.id)
            .group_by(Cohort.year)
            .order_by(func.count(Application.id).desc())
            .limit(1)
        ).one()
        per_cohort = db.session.execute(
            select(Cohort.year, Cohort.state, Cohort.quota, func.count(Application.id))
            .join(Application, Application.cohort_id == Cohort.id)
            .group_by(Cohort.year, Cohort.state, Cohort.quota)
            .order_by(Cohort.year)
        ).all()
    for cohort_year, state, quota, n in per_cohort:
        print(f"  cohort {cohort_year} ({state.value}, quota {quota}): {n} applications")
    return rows, year, size


def timed(client: Client, path: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    status, _location, body = client.request("GET", path)
    return (time.perf_counter() - started) * 1000, status, len(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    base = args.base_url.rstrip("/")

    print("The data:")
    rows, largest, size = counts()
    for table, n in rows.items():
        print(f"  {table}: {n:,}")

    client = Client(base, login(base, "official"))
    failed = 0
    ms, status, _size = timed(client, "/reports")
    _s, _l, page = client.request("GET", "/reports")
    years = YEAR_OPTION.findall(page.decode("utf-8", "replace"))
    print(f"\nReports dashboard, one user (first view of /reports: {ms:.0f} ms, HTTP {status}):")
    print(f"  {'cohort':<8} {'first view':>11} {'median':>8} {'max':>8}  of {args.repeat} views")
    for year in sorted(years):
        path = f"/reports?year={year}"
        first, status, _size = timed(client, path)
        times = []
        for _ in range(args.repeat):
            ms, status_again, _size = timed(client, path)
            times.append(ms)
            failed += status_again != 200
        failed += status != 200
        print(
            f"  {year:<8} {first:9.0f} ms {statistics.median(times):5.0f} ms {max(times):5.0f} ms"
        )

    print(f"\nCohort report PDF of the largest cohort ({largest}: {size:,} applications), French:")
    for attempt in (1, 2):
        ms, status, length = timed(client, f"/reports/{largest}/report.pdf?lang=fr")
        failed += status != 200
        print(f"  attempt {attempt}: {ms / 1000:.1f} s, HTTP {status}, {length / 1024:.0f} KiB")
    client.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
