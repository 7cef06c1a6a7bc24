"""Benchmark ``stable_match`` on a large random instance (default 10,000 students × 1,000 offers).

Builds N students × M offers (capacity 1–3), each student ranking K distinct offers (popularity
skewed so that some offers are oversubscribed), each offer ranking every student who ranked it
(by a shared score plus noise, like coordinators' scores), then times ``stable_match``.

Usage: python bench/bench_matching.py [--students 10000] [--offers 1000] [--prefs 10]
       [--runs 5] [--seed 2011]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_instance(
    n_students: int, n_offers: int, n_prefs: int, seed: int
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]:
    """Random instance, reproducible from ``seed``."""
    rng = random.Random(seed)
    offers = [f"O{j:05d}" for j in range(n_offers)]
    students = [f"S{i:06d}" for i in range(n_students)]
    capacities = {offer: rng.randint(1, 3) for offer in offers}
    # Zipf-like popularity: a few offers attract many applicants.
    cum_weights = list(itertools.accumulate(1.0 / (j + 10) for j in range(n_offers)))
    student_prefs: dict[str, list[str]] = {}
    applicants: dict[str, list[str]] = {offer: [] for offer in offers}
    for student in students:
        chosen: list[str] = []
        seen: set[str] = set()
        while len(chosen) < min(n_prefs, n_offers):
            offer = rng.choices(offers, cum_weights=cum_weights)[0]
            if offer not in seen:
                seen.add(offer)
                chosen.append(offer)
        student_prefs[student] = chosen
        for offer in chosen:
            applicants[offer].append(student)
    score = {student: rng.random() for student in students}
    offer_prefs = {
        offer: sorted(applied, key=lambda s: score[s] + rng.gauss(0, 0.1), reverse=True)
        for offer, applied in applicants.items()
    }
    return student_prefs, offer_prefs, capacities


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print timings and match statistics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=1_000)
    parser.add_argument("--prefs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2011)
    args = parser.parse_args(argv)
    from mnc_exchange.matching import match_statistics, stable_match

    t0 = time.perf_counter()
    student_prefs, offer_prefs, capacities = build_instance(
        args.students, args.offers, args.prefs, args.seed
    )
    build = time.perf_counter() - t0
    print(
        f"instance: {args.students} students × {args.offers} offers × {args.prefs} prefs, "
        f"{sum(capacities.values())} seats, seed {args.seed} (built in {build:.2f} s)"
    )

    timings = []
    result: dict[str, str | None] = {}
    for _ in range(args.runs):
        start = time.perf_counter()
        result = stable_match(student_prefs, offer_prefs, capacities)
        timings.append(time.perf_counter() - start)
    print(
        f"stable_match over {args.runs} runs: min {min(timings):.3f} s, "
        f"median {statistics.median(timings):.3f} s, max {max(timings):.3f} s"
    )

    stats = match_statistics(student_prefs, result, capacities)
    print(
        f"matched {stats['matched']} / {stats['students']} ({stats['share_matched']:.1%}), "
        f"unmatched {stats['unmatched']}, seats left {stats['seats_left_total']} "
        f"/ {stats['seats_total']}"
    )
    for rank, count in stats["by_rank"].items():
        print(f"  choice {rank:>2}: {count:>5} ({stats['share_by_rank'][rank]:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
