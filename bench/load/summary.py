"""Print locust's ``--csv`` statistics as tables: requests, failures, p50/p95/p99 per page over
the whole run, then the steady state written by the locustfile (``<prefix>_steady.csv``:
the requests that ended after every user had arrived and logged in).

Usage: python bench/load/summary.py bench/out/load/load   (the --csv prefix)
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def print_table(header: tuple[str, ...], table: list[tuple]) -> None:
    """Left-aligned first column, the others right-aligned; a rule above the last row."""
    lines = [header, *table]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        if i == len(table):  # the aggregated row comes last
            print("  ".join("-" * w for w in widths))
        cells = [
            str(c).ljust(widths[0]) if j == 0 else str(c).rjust(widths[j])
            for j, c in enumerate(line)
        ]
        print("  ".join(cells))


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def main(argv: list[str]) -> int:
    prefix = argv[1] if len(argv) > 1 else "bench/out/load/load"
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        print(f"no statistics: {stats_path} is missing")
        return 1
    print("Whole run (ramp-up and logins included), times in ms:")
    print_table(
        ("page", "requests", "failures", "p50", "p95", "p99", "max", "req/s"),
        [
            (
                "ALL PAGES" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}",
                row["Request Count"],
                row["Failure Count"],
                row["50%"],
                row["95%"],
                row["99%"],
                f"{float(row['Max Response Time']):.0f}",
                f"{float(row['Requests/s']):.1f}",
            )
            for row in _read(stats_path)
        ],
    )
    failures_path = Path(f"{prefix}_failures.csv")
    failures = _read(failures_path) if failures_path.exists() else []
    if failures:
        print("\nfailures:")
        for row in failures:
            print(f"  {row['Occurrences']:>6}  {row['Method']} {row['Name']}: {row['Error']}")
    steady_path = Path(f"{prefix}_steady.csv")
    if steady_path.exists():
        rows = _read(steady_path)
        after = rows[0]["After"] if rows else "?"
        print(f"\nSteady state (requests ending {float(after):g} s or more after the start), ms:")
        print_table(
            ("page", "requests", "p50", "p95", "p99", "max"),
            [
                (
                    "ALL PAGES" if row["Name"] == "Aggregated" else row["Name"],
                    row["Request Count"],
                    row["50%"],
                    row["95%"],
                    row["99%"],
                    row["Max"],
                )
                for row in rows
            ],
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
