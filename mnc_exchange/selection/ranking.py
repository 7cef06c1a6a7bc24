"""Pure selection arithmetic: weighted scores, shortlist, final ranking, decisions.

No Flask, no database: plain data in, plain data out, so that every rule is tested directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Criterion:
    key: str
    weight: Decimal
    max_score: Decimal


def weighted_total(criteria: Sequence[Criterion], scores: Mapping[str, Decimal]) -> Decimal:
    """A reviewer's total on 100: Σ weight × score / max, divided by Σ weight.

    Criteria without a score (e.g. the interview before it happens) are left out of both sums.
    Raises ValueError for a score outside 0..max.
    """
    numerator = Decimal(0)
    weights = Decimal(0)
    for criterion in criteria:
        if criterion.key not in scores or scores[criterion.key] is None:
            continue
        score = Decimal(scores[criterion.key])
        if score < 0 or score > criterion.max_score:
            raise ValueError(
                f"score {score} for {criterion.key!r} outside 0..{criterion.max_score}"
            )
        numerator += criterion.weight * score / criterion.max_score
        weights += criterion.weight
    if weights == 0:
        return Decimal("0.00")
    return (numerator / weights * 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def mean(values: Iterable[Decimal]) -> Decimal | None:
    values = list(values)
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def disagreement(totals: Sequence[Decimal], gap: Decimal) -> bool:
    """True when the reviewers' totals differ by more than ``gap`` points (flag for discussion)."""
    return len(totals) >= 2 and max(totals) - min(totals) > gap


@dataclass(frozen=True)
class Candidate:
    id: int
    score: Decimal
    interview_score: Decimal | None = None
    submitted_at: datetime | None = None


def shortlist(candidates: Sequence[Candidate], size: int) -> list[Candidate]:
    """The top ``size`` by score; every candidate tied with the last one kept is kept too."""
    ordered = sorted(candidates, key=lambda c: (-c.score, c.id))
    if size <= 0 or not ordered:
        return []
    if size >= len(ordered):
        return ordered
    cutoff = ordered[size - 1].score
    return [c for c in ordered if c.score >= cutoff]


def final_order_key(candidate: Candidate):
    """The documented, deterministic tie-break: final score (desc), then interview score (desc),
    then earlier submission, then the application number."""
    interview = candidate.interview_score if candidate.interview_score is not None else Decimal(-1)
    submitted = candidate.submitted_at.timestamp() if candidate.submitted_at else float("inf")
    return (-candidate.score, -interview, submitted, candidate.id)


def final_ranking(candidates: Sequence[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=final_order_key)


@dataclass(frozen=True)
class Decision:
    candidate_id: int
    rank: int
    outcome: str  # "selected" | "waitlisted" | "rejected"
    waitlist_rank: int | None = None


def decide(
    candidates: Sequence[Candidate], quota: int, waitlist_size: int | None = None
) -> list[Decision]:
    """The top ``quota`` are selected, the next ``waitlist_size`` (all the others when None)
    are waitlisted in rank order, the rest rejected."""
    ranked = final_ranking(candidates)
    decisions = []
    for index, candidate in enumerate(ranked, start=1):
        if index <= quota:
            decisions.append(Decision(candidate.id, index, "selected"))
        elif waitlist_size is None or index - quota <= waitlist_size:
            decisions.append(Decision(candidate.id, index, "waitlisted", index - quota))
        else:
            decisions.append(Decision(candidate.id, index, "rejected"))
    return decisions
