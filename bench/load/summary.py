"""Print locust's ``--csv`` statistics as a table: requests, failures, p50/p95/p99 per page.

Usage: python bench/load/summary.py bench/out/load/load   (the --csv prefix)
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    prefix = argv[1] if len(argv) > 1 else "bench/out/load/load"
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        print(f"no statistics: {stats_path} is missing")
        return 1
    with stats_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = ("page", "requests", "failures", "p50", "p95", "p99", "max", "req/s")
    table = []
    for row in rows:
        table.append(
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
        )
    widths = [max(len(str(line[i])) for line in [header, *table]) for i in range(len(header))]
    for i, line in enumerate([header, *table]):
        if i == len(table):  # the aggregated row comes last
            print("  ".join("-" * w for w in widths))
        cells = [
            str(c).ljust(widths[0]) if j == 0 else str(c).rjust(widths[j])
            for j, c in enumerate(line)
        ]
        print("  ".join(cells))
    failures_path = Path(f"{prefix}_failures.csv")
    if failures_path.exists():
        with failures_path.open(newline="") as handle:
            failures = list(csv.DictReader(handle))
        if failures:
            print("\nfailures:")
            for row in failures:
                print(f"  {row['Occurrences']:>6}  {row['Method']} {row['Name']}: {row['Error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
