"""Student–offer matching: student-proposing deferred acceptance with capacities.

This is the hospitals/residents problem (Gale–Shapley; the algorithm of the US residency match).
Students rank offers, offers rank the candidates who applied to them (a coordinator's ranking may
stand in for a host that does not rank), each offer has a number of seats. The result is the
unique stable matching that is best for every student, and ranking honestly is safe for students.

Pure module, standard library only. Identifiers are strings; the order of processing is fixed
(free students in sorted order, then a FIFO queue), so results are reproducible.

Conventions:

- only mutually acceptable pairs match: the offer is on the student's list *and* the student is on
  the offer's list;
- an offer missing from ``offer_prefs`` or ``capacities``, or with capacity 0, accepts nobody;
- a repeated entry in a preference list counts at its first position;
- students or offers named only on the other side's lists are ignored.
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

#: Reasons given by ``explain``.
MATCHED = "matched"
NOT_ACCEPTABLE = "not_acceptable"
FILLED_BY_HIGHER = "filled_by_higher"
NO_SUCH_OFFER = "no_such_offer"
NO_SEATS = "no_seats"
#: The result given to ``explain`` is not the stable matching of these inputs.
INCONSISTENT = "inconsistent"


def _rank_table(prefs: list[str]) -> dict[str, int]:
    """Position (0-based) of each entry; a repeated entry keeps its first position."""
    ranks: dict[str, int] = {}
    for position, item in enumerate(prefs):
        ranks.setdefault(item, position)
    return ranks


def _check_capacities(capacities: dict[str, int]) -> None:
    for offer, capacity in capacities.items():
        if capacity < 0:
            raise ValueError(f"capacity of offer {offer!r} is negative: {capacity}")


def stable_match(
    student_prefs: dict[str, list[str]],
    offer_prefs: dict[str, list[str]],
    capacities: dict[str, int],
) -> dict[str, str | None]:
    """Student-optimal stable matching (student-proposing deferred acceptance with capacities).

    Returns every student of ``student_prefs`` mapped to an offer id, or ``None`` when unmatched.
    Raises ``ValueError`` for a negative capacity.
    """
    _check_capacities(capacities)
    # Rank of each student in each offer that can take anyone.
    offer_rank: dict[str, dict[str, int]] = {
        offer: _rank_table(prefs)
        for offer, prefs in offer_prefs.items()
        if capacities.get(offer, 0) > 0
    }
    # Each student's list reduced to mutually acceptable offers, without repeats.
    proposals: dict[str, list[str]] = {}
    for student, prefs in student_prefs.items():
        seen: set[str] = set()
        acceptable = []
        for offer in prefs:
            ranks = offer_rank.get(offer)
            if ranks is not None and student in ranks and offer not in seen:
                seen.add(offer)
                acceptable.append(offer)
        proposals[student] = acceptable

    # Students held by each offer: a heap of (-rank, student), worst-ranked holder on top.
    held: dict[str, list[tuple[int, str]]] = {offer: [] for offer in offer_rank}
    next_choice: dict[str, int] = dict.fromkeys(student_prefs, 0)
    free = deque(sorted(student for student, prefs in proposals.items() if prefs))
    heappush, heapreplace = heapq.heappush, heapq.heapreplace

    while free:
        student = free.popleft()
        prefs = proposals[student]
        index = next_choice[student]
        while index < len(prefs):
            offer = prefs[index]
            index += 1
            rank = offer_rank[offer][student]
            holders = held[offer]
            if len(holders) < capacities[offer]:
                heappush(holders, (-rank, student))
                break
            worst_rank, worst = holders[0]
            if -worst_rank > rank:  # the offer prefers this student to its worst holder
                heapreplace(holders, (-rank, student))
                free.append(worst)
                break
        next_choice[student] = index

    result: dict[str, str | None] = dict.fromkeys(student_prefs)
    for offer, holders in held.items():
        for _, student in holders:
            result[student] = offer
    return result


@dataclass(frozen=True)
class Explanation:
    """Why a student did or did not get one offer they ranked at or above their result.

    ``rank`` is 1-based (1 = first choice). For ``filled_by_higher``, ``capacity`` is the offer's
    number of seats and ``holders_ranked_higher`` how many of its matched students the offer
    ranked above this student (equal to the capacity in a stable matching).
    """

    offer: str
    rank: int
    reason: str
    capacity: int | None = None
    holders_ranked_higher: int | None = None

    @property
    def default_message(self) -> str:
        """Plain English sentence for the student (callers translate via ``reason``)."""
        if self.reason == MATCHED:
            return f"you obtained offer {self.offer} (your choice no. {self.rank})"
        if self.reason == NOT_ACCEPTABLE:
            return f"offer {self.offer} did not rank you"
        if self.reason == FILLED_BY_HIGHER:
            return (
                f"offer {self.offer} filled its {self.capacity} seat(s) with candidates "
                "it ranked higher"
            )
        if self.reason == NO_SUCH_OFFER:
            return f"offer {self.offer} does not exist or is not open"
        if self.reason == NO_SEATS:
            return f"offer {self.offer} has no seats"
        return f"offer {self.offer}: the result is not the stable matching of these preferences"


def explain(
    student_prefs: dict[str, list[str]],
    offer_prefs: dict[str, list[str]],
    capacities: dict[str, int],
    result: dict[str, str | None],
) -> dict[str, list[Explanation]]:
    """For each student, explain each offer ranked at or above the one obtained, in rank order.

    Unmatched students get an explanation for every offer on their list. Reasons: ``matched``,
    ``not_acceptable`` (the offer did not rank the student), ``filled_by_higher`` (with the
    capacity and the count of holders ranked higher), ``no_such_offer`` (missing from
    ``offer_prefs`` or ``capacities``), ``no_seats`` (capacity 0) and ``inconsistent`` (the
    offer had room for this student: ``result`` is not stable for these inputs).
    """
    offer_rank = {offer: _rank_table(prefs) for offer, prefs in offer_prefs.items()}
    holders: dict[str, list[str]] = {}
    for student, offer in result.items():
        if offer is not None:
            holders.setdefault(offer, []).append(student)

    explanations: dict[str, list[Explanation]] = {}
    for student, prefs in student_prefs.items():
        obtained = result.get(student)
        items: list[Explanation] = []
        seen: set[str] = set()
        for position, offer in enumerate(prefs, start=1):
            if offer in seen:
                continue
            seen.add(offer)
            if offer == obtained:
                items.append(Explanation(offer, position, MATCHED))
                break
            ranks = offer_rank.get(offer)
            capacity = capacities.get(offer)
            if ranks is None or capacity is None:
                items.append(Explanation(offer, position, NO_SUCH_OFFER))
            elif capacity <= 0:
                items.append(Explanation(offer, position, NO_SEATS, capacity=capacity))
            elif student not in ranks:
                items.append(Explanation(offer, position, NOT_ACCEPTABLE))
            else:
                mine = ranks[student]
                higher = sum(1 for other in holders.get(offer, ()) if ranks.get(other, mine) < mine)
                reason = FILLED_BY_HIGHER if higher >= capacity else INCONSISTENT
                items.append(Explanation(offer, position, reason, capacity, higher))
        explanations[student] = items
    return explanations


def match_statistics(
    student_prefs: dict[str, list[str]],
    result: dict[str, str | None],
    capacities: dict[str, int],
) -> dict[str, Any]:
    """Summary of a matching run.

    Returns a dict with ``students``, ``matched``, ``unmatched``, ``by_rank`` (count of students
    matched to their 1st, 2nd … choice, keys 1-based), ``share_by_rank`` (the same as a share of
    all students, 0 to 1), ``share_matched``, ``seats_total``, ``seats_left`` (per offer, for
    every offer of ``capacities``) and ``seats_left_total``. Raises ``ValueError`` when a student
    is matched to an offer absent from their list.
    """
    by_rank: Counter[int] = Counter()
    taken: Counter[str] = Counter()
    for student, prefs in student_prefs.items():
        offer = result.get(student)
        if offer is None:
            continue
        try:
            by_rank[prefs.index(offer) + 1] += 1
        except ValueError:
            raise ValueError(
                f"student {student!r} matched to {offer!r}, not on their list"
            ) from None
        taken[offer] += 1
    students = len(student_prefs)
    matched = sum(by_rank.values())
    seats_left = {offer: max(capacity, 0) - taken[offer] for offer, capacity in capacities.items()}
    return {
        "students": students,
        "matched": matched,
        "unmatched": students - matched,
        "share_matched": matched / students if students else 0.0,
        "by_rank": dict(sorted(by_rank.items())),
        "share_by_rank": {r: n / students for r, n in sorted(by_rank.items())},
        "seats_total": sum(max(capacity, 0) for capacity in capacities.values()),
        "seats_left": seats_left,
        "seats_left_total": sum(seats_left.values()),
    }
