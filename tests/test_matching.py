"""Tests for mnc_exchange.matching: hand cases, properties, brute-force optimality, explanations."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnc_exchange.matching import (
    FILLED_BY_HIGHER,
    INCONSISTENT,
    MATCHED,
    NO_SEATS,
    NO_SUCH_OFFER,
    NOT_ACCEPTABLE,
    Explanation,
    explain,
    match_statistics,
    stable_match,
)

Prefs = dict[str, list[str]]
Instance = tuple[Prefs, Prefs, dict[str, int]]


# ------------------------------------------------------------------------------------- helpers


def acceptable(inst: Instance, student: str, offer: str) -> bool:
    student_prefs, offer_prefs, capacities = inst
    return (
        offer in student_prefs.get(student, [])
        and student in offer_prefs.get(offer, [])
        and capacities.get(offer, 0) > 0
    )


def prefers(prefs: list[str], a: str, b: str | None) -> bool:
    """True when ``a`` is strictly better than ``b`` (None = unmatched) in ``prefs``."""
    if a not in prefs:
        return False
    return b is None or prefs.index(a) < prefs.index(b)


def blocking_pairs(inst: Instance, matching: dict[str, str | None]) -> list[tuple[str, str]]:
    student_prefs, offer_prefs, capacities = inst
    holders: dict[str, list[str]] = {}
    for student, offer in matching.items():
        if offer is not None:
            holders.setdefault(offer, []).append(student)
    pairs = []
    for student, prefs in student_prefs.items():
        for offer in prefs:
            if not acceptable(inst, student, offer):
                continue
            if not prefers(prefs, offer, matching[student]):
                continue
            held = holders.get(offer, [])
            ranks = offer_prefs[offer]
            if len(held) < capacities[offer] or any(
                ranks.index(student) < ranks.index(other) for other in held
            ):
                pairs.append((student, offer))
    return pairs


def is_feasible(inst: Instance, matching: dict[str, str | None]) -> bool:
    student_prefs, _, capacities = inst
    if set(matching) != set(student_prefs):
        return False
    counts: dict[str, int] = {}
    for student, offer in matching.items():
        if offer is None:
            continue
        if not acceptable(inst, student, offer):
            return False
        counts[offer] = counts.get(offer, 0) + 1
    return all(n <= capacities.get(offer, 0) for offer, n in counts.items())


def all_stable_matchings(inst: Instance) -> list[dict[str, str | None]]:
    student_prefs = inst[0]
    students = sorted(student_prefs)
    options = [
        [None] + [o for o in dict.fromkeys(student_prefs[s]) if acceptable(inst, s, o)]
        for s in students
    ]
    found = []
    for combo in itertools.product(*options):
        matching = dict(zip(students, combo, strict=True))
        if is_feasible(inst, matching) and not blocking_pairs(inst, matching):
            found.append(matching)
    return found


@st.composite
def instances(draw: st.DrawFn, max_students: int = 5, max_offers: int = 3) -> Instance:
    students = [f"s{i}" for i in range(draw(st.integers(0, max_students)))]
    offers = [f"o{j}" for j in range(draw(st.integers(0, max_offers)))]
    offer_pool = offers + ["ghost"]  # an offer nobody publishes
    student_pool = students + ["stranger"]  # a candidate who never applied
    student_prefs = {
        s: draw(st.lists(st.sampled_from(offer_pool), unique=True, max_size=len(offer_pool)))
        for s in students
    }
    offer_prefs = {}
    capacities = {}
    for offer in offers:
        if draw(st.integers(0, 9)) > 0:  # sometimes the offer did not rank anyone
            offer_prefs[offer] = draw(
                st.lists(st.sampled_from(student_pool), unique=True, max_size=len(student_pool))
            )
        if draw(st.integers(0, 9)) > 0:  # sometimes the capacity is missing
            capacities[offer] = draw(st.integers(0, 3))
    return student_prefs, offer_prefs, capacities


@st.composite
def dense_instances(draw: st.DrawFn, max_students: int = 5, max_offers: int = 3) -> Instance:
    """Everyone ranks everyone: the instances where several stable matchings are common."""
    students = [f"s{i}" for i in range(draw(st.integers(2, max_students)))]
    offers = [f"o{j}" for j in range(draw(st.integers(2, max_offers)))]
    student_prefs = {s: draw(st.permutations(offers)) for s in students}
    offer_prefs = {o: draw(st.permutations(students)) for o in offers}
    capacities = {o: draw(st.integers(1, 2)) for o in offers}
    return student_prefs, offer_prefs, capacities


def dense_random_instance(rng: random.Random, n_students: int, n_offers: int) -> Instance:
    students = [f"s{i}" for i in range(n_students)]
    offers = [f"o{j}" for j in range(n_offers)]
    return (
        {s: rng.sample(offers, n_offers) for s in students},
        {o: rng.sample(students, n_students) for o in offers},
        {o: rng.randint(1, 2) for o in offers},
    )


def random_instance(rng: random.Random, n_students: int, n_offers: int, k: int) -> Instance:
    offers = [f"o{j}" for j in range(n_offers)]
    student_prefs = {f"s{i}": rng.sample(offers, k) for i in range(n_students)}
    applicants: dict[str, list[str]] = {o: [] for o in offers}
    for student, prefs in student_prefs.items():
        for offer in prefs:
            applicants[offer].append(student)
    offer_prefs = {}
    for offer, applied in applicants.items():
        rng.shuffle(applied)
        offer_prefs[offer] = applied[: max(1, len(applied) * 4 // 5)]  # some not acceptable
    capacities = {o: rng.randint(1, 3) for o in offers}
    return student_prefs, offer_prefs, capacities


# ------------------------------------------------------------------------------------ hand cases


def test_classic_two_by_two_student_optimal() -> None:
    # Both stable matchings exist; students get their first choices in the student-optimal one.
    student_prefs = {"a": ["X", "Y"], "b": ["Y", "X"]}
    offer_prefs = {"X": ["b", "a"], "Y": ["a", "b"]}
    result = stable_match(student_prefs, offer_prefs, {"X": 1, "Y": 1})
    assert result == {"a": "X", "b": "Y"}


def test_capacity_and_displacement() -> None:
    student_prefs = {"s1": ["A", "B"], "s2": ["A", "B"], "s3": ["A", "B"]}
    offer_prefs = {"A": ["s3", "s1", "s2"], "B": ["s2", "s1"]}
    result = stable_match(student_prefs, offer_prefs, {"A": 2, "B": 1})
    assert result == {"s1": "A", "s2": "B", "s3": "A"}


def test_mutual_acceptability() -> None:
    student_prefs = {"s1": ["A"], "s2": ["B"], "s3": []}
    offer_prefs = {"A": ["s2"], "B": ["s2", "s3"]}
    result = stable_match(student_prefs, offer_prefs, {"A": 5, "B": 5})
    # s1 ranked A but A did not rank s1; s3 ranked by B but did not rank B.
    assert result == {"s1": None, "s2": "B", "s3": None}


def test_offers_missing_from_prefs_or_capacities_or_with_zero_seats_accept_nobody() -> None:
    student_prefs = {"s1": ["NoPrefs", "NoCap", "Zero", "Ghost", "OK"]}
    offer_prefs = {"NoCap": ["s1"], "Zero": ["s1"], "OK": ["s1"]}
    capacities = {"NoPrefs": 3, "Zero": 0, "OK": 1}
    assert stable_match(student_prefs, offer_prefs, capacities) == {"s1": "OK"}


def test_empty_inputs() -> None:
    assert stable_match({}, {}, {}) == {}
    assert stable_match({"s1": []}, {}, {}) == {"s1": None}
    assert stable_match({}, {"A": ["s1"]}, {"A": 1}) == {}
    assert stable_match({"s1": ["A"]}, {"A": []}, {"A": 1}) == {"s1": None}


def test_duplicates_count_at_first_position() -> None:
    student_prefs = {"s1": ["A", "B", "A"], "s2": ["A"]}
    offer_prefs = {"A": ["s2", "s1", "s2"], "B": ["s1"]}
    result = stable_match(student_prefs, offer_prefs, {"A": 1, "B": 1})
    assert result == {"s1": "B", "s2": "A"}


def test_negative_capacity_is_an_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        stable_match({"s1": ["A"]}, {"A": ["s1"]}, {"A": -1})


def test_strangers_in_offer_lists_are_ignored() -> None:
    result = stable_match({"s1": ["A"]}, {"A": ["nobody", "s1"]}, {"A": 1})
    assert result == {"s1": "A"}


# ------------------------------------------------------------------------------------ properties


@settings(max_examples=200, deadline=None)
@given(instances())
def test_result_is_feasible_and_stable(inst: Instance) -> None:
    result = stable_match(*inst)
    assert is_feasible(inst, result)
    assert blocking_pairs(inst, result) == []


def assert_student_optimal(inst: Instance) -> int:
    """Check ``stable_match`` against brute force; return the number of stable matchings."""
    result = stable_match(*inst)
    stable = all_stable_matchings(inst)
    assert result in stable
    student_prefs = inst[0]
    for other in stable:
        for student, prefs in student_prefs.items():
            # No stable matching gives any student something better.
            if other[student] is not None:
                assert not prefers(prefs, other[student], result[student])
    return len(stable)


@settings(max_examples=200, deadline=None)
@given(st.one_of(instances(max_students=5, max_offers=3), dense_instances()))
def test_result_is_the_student_optimal_stable_matching(inst: Instance) -> None:
    assert_student_optimal(inst)


def test_student_optimal_on_instances_with_several_stable_matchings() -> None:
    # Seeded so that the check is not vacuous: sparse random instances almost always have a
    # single stable matching, dense ones often have several.
    rng = random.Random(2011)
    several = 0
    for _ in range(400):
        inst = dense_random_instance(rng, rng.randint(2, 5), rng.randint(2, 3))
        if assert_student_optimal(inst) > 1:
            several += 1
    assert several >= 20


def test_student_optimal_three_by_three_latin_square() -> None:
    # Three stable matchings: students' first choices, offers' first choices, and the middle one.
    student_prefs = {"a": ["X", "Y", "Z"], "b": ["Y", "Z", "X"], "c": ["Z", "X", "Y"]}
    offer_prefs = {"X": ["b", "c", "a"], "Y": ["c", "a", "b"], "Z": ["a", "b", "c"]}
    inst = (student_prefs, offer_prefs, {"X": 1, "Y": 1, "Z": 1})
    assert len(all_stable_matchings(inst)) == 3
    assert stable_match(*inst) == {"a": "X", "b": "Y", "c": "Z"}


@settings(max_examples=100, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_deterministic_and_independent_of_input_order(inst: Instance, rnd: random.Random) -> None:
    student_prefs, offer_prefs, capacities = inst
    first = stable_match(student_prefs, offer_prefs, capacities)
    assert stable_match(student_prefs, offer_prefs, capacities) == first
    students = list(student_prefs)
    rnd.shuffle(students)
    offers = list(capacities)
    rnd.shuffle(offers)
    shuffled = stable_match(
        {s: student_prefs[s] for s in students},
        dict(reversed(list(offer_prefs.items()))),
        {o: capacities[o] for o in offers},
    )
    assert shuffled == first
    assert list(first) == list(student_prefs)  # every student, in input order


def test_large_random_instance_is_stable() -> None:
    inst = random_instance(random.Random(7), 2000, 200, 10)
    result = stable_match(*inst)
    assert is_feasible(inst, result)
    assert blocking_pairs(inst, result) == []
    assert result == stable_match(*inst)


# ---------------------------------------------------------------------------------- explanations


def explain_case() -> tuple[Instance, dict[str, str | None]]:
    student_prefs = {
        "s1": ["A", "B"],
        "s2": ["A", "B"],
        "s3": ["Ghost", "C", "Zero", "A", "B", "D"],
        "s4": ["A", "B"],
    }
    offer_prefs = {"A": ["s1", "s2", "s3", "s4"], "B": ["s3", "s4"], "C": ["s1"], "Zero": ["s3"]}
    capacities = {"A": 2, "B": 1, "C": 1, "Zero": 0}
    inst = (student_prefs, offer_prefs, capacities)
    return inst, stable_match(*inst)


def test_explain_reasons() -> None:
    inst, result = explain_case()
    assert result == {"s1": "A", "s2": "A", "s3": "B", "s4": None}
    why = explain(*inst, result)
    assert why["s1"] == [Explanation("A", 1, MATCHED)]
    assert why["s3"] == [
        Explanation("Ghost", 1, NO_SUCH_OFFER),
        Explanation("C", 2, NOT_ACCEPTABLE),
        Explanation("Zero", 3, NO_SEATS, capacity=0),
        Explanation("A", 4, FILLED_BY_HIGHER, capacity=2, holders_ranked_higher=2),
        Explanation("B", 5, MATCHED),
    ]
    # Unmatched: every ranked offer is explained.
    assert why["s4"] == [
        Explanation("A", 1, FILLED_BY_HIGHER, capacity=2, holders_ranked_higher=2),
        Explanation("B", 2, FILLED_BY_HIGHER, capacity=1, holders_ranked_higher=1),
    ]
    assert why["s4"][0].default_message == (
        "offer A filled its 2 seat(s) with candidates it ranked higher"
    )
    assert "does not exist" in why["s3"][0].default_message
    assert "did not rank you" in why["s3"][1].default_message
    assert "choice no. 5" in why["s3"][4].default_message


def test_explain_flags_a_result_that_is_not_stable() -> None:
    inst, _ = explain_case()
    wrong = {"s1": "B", "s2": "A", "s3": "B", "s4": None}  # s1 was entitled to A
    why = explain(*inst, wrong)
    assert why["s1"][0] == Explanation("A", 1, INCONSISTENT, capacity=2, holders_ranked_higher=0)


@settings(max_examples=100, deadline=None)
@given(instances())
def test_explanations_are_consistent_with_the_result(inst: Instance) -> None:
    result = stable_match(*inst)
    why = explain(*inst, result)
    assert set(why) == set(inst[0])
    for student, items in why.items():
        reasons = [item.reason for item in items]
        assert INCONSISTENT not in reasons
        if result[student] is None:
            assert MATCHED not in reasons
            assert len(items) == len(set(inst[0][student]))
        else:
            assert reasons[-1] == MATCHED and reasons.count(MATCHED) == 1
            assert items[-1].offer == result[student]
        for item in items:
            if item.reason == FILLED_BY_HIGHER:
                assert item.holders_ranked_higher == item.capacity


# ------------------------------------------------------------------------------------ statistics


def test_match_statistics() -> None:
    inst, result = explain_case()
    student_prefs, _, capacities = inst
    stats = match_statistics(student_prefs, result, capacities)
    assert stats["students"] == 4
    assert stats["matched"] == 3
    assert stats["unmatched"] == 1
    assert stats["share_matched"] == 0.75
    assert stats["by_rank"] == {1: 2, 5: 1}
    assert stats["share_by_rank"] == {1: 0.5, 5: 0.25}
    assert stats["seats_total"] == 4
    assert stats["seats_left"] == {"A": 0, "B": 0, "C": 1, "Zero": 0}
    assert stats["seats_left_total"] == 1


def test_match_statistics_empty_and_invalid() -> None:
    stats = match_statistics({}, {}, {"A": 2})
    assert stats["students"] == 0 and stats["share_matched"] == 0.0
    assert stats["by_rank"] == {} and stats["seats_left"] == {"A": 2}
    with pytest.raises(ValueError):
        match_statistics({"s1": ["A"]}, {"s1": "B"}, {"A": 1, "B": 1})


@settings(max_examples=100, deadline=None)
@given(instances())
def test_statistics_add_up(inst: Instance) -> None:
    student_prefs, _, capacities = inst
    result = stable_match(*inst)
    stats = match_statistics(student_prefs, result, capacities)
    assert stats["matched"] + stats["unmatched"] == len(student_prefs)
    assert sum(stats["by_rank"].values()) == stats["matched"]
    assert all(left >= 0 for left in stats["seats_left"].values())
    assert stats["seats_total"] - stats["seats_left_total"] == stats["matched"]
