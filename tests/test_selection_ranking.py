"""The pure selection arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D  # noqa: N817

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnc_exchange.selection.ranking import (
    Candidate,
    Criterion,
    decide,
    disagreement,
    final_ranking,
    mean,
    shortlist,
    weighted_total,
)

RUBRIC = [
    Criterion("academic", D(30), D(20)),
    Criterion("french", D(20), D(10)),
    Criterion("technical", D(20), D(10)),
    Criterion("motivation", D(15), D(10)),
    Criterion("interview", D(15), D(10)),
]


def test_weighted_total_on_100():
    scores = {
        "academic": D(20),
        "french": D(10),
        "technical": D(10),
        "motivation": D(10),
        "interview": D(10),
    }
    assert weighted_total(RUBRIC, scores) == D("100.00")
    half = {k: v / 2 for k, v in scores.items()}
    assert weighted_total(RUBRIC, half) == D("50.00")


def test_weighted_total_ignores_missing_criteria():
    # Before the interview: (30×15/20 + 20×5/10 + 20×1 + 15×0) / 85 = 52.5 / 85 → 61.76
    scores = {"academic": D(15), "french": D(5), "technical": D(10), "motivation": D(0)}
    assert weighted_total(RUBRIC, scores) == D("61.76")


def test_weighted_total_refuses_out_of_range():
    with pytest.raises(ValueError):
        weighted_total(RUBRIC, {"academic": D(21)})
    with pytest.raises(ValueError):
        weighted_total(RUBRIC, {"french": D(-1)})


def test_mean_and_disagreement():
    assert mean([D("70"), D("75.5")]) == D("72.75")
    assert mean([]) is None
    assert disagreement([D(70), D(86)], D(15))
    assert not disagreement([D(70), D(85)], D(15))
    assert not disagreement([D(70)], D(0))


def _c(i, score, interview=None, day=1):
    return Candidate(
        i,
        D(score),
        D(interview) if interview is not None else None,
        datetime(2026, 12, day, tzinfo=UTC),
    )


def test_shortlist_keeps_ties_at_the_cutoff():
    cands = [_c(1, 90), _c(2, 80), _c(3, 80), _c(4, 80), _c(5, 70)]
    assert [c.id for c in shortlist(cands, 2)] == [1, 2, 3, 4]
    assert [c.id for c in shortlist(cands, 4)] == [1, 2, 3, 4]
    assert [c.id for c in shortlist(cands, 5)] == [1, 2, 3, 4, 5]
    assert shortlist(cands, 0) == []


def test_final_ranking_tie_break_is_documented_and_deterministic():
    cands = [
        _c(1, 80, interview=7, day=3),
        _c(2, 80, interview=9, day=5),  # same score, better interview
        _c(3, 80, interview=7, day=2),  # same score and interview, earlier submission
        _c(4, 85),
    ]
    assert [c.id for c in final_ranking(cands)] == [4, 2, 3, 1]
    assert [c.id for c in final_ranking(list(reversed(cands)))] == [4, 2, 3, 1]


def test_decide_quota_waitlist_rejected():
    cands = [_c(i, 100 - i) for i in range(1, 8)]
    decisions = decide(cands, quota=3, waitlist_size=2)
    assert [(d.candidate_id, d.outcome, d.waitlist_rank) for d in decisions] == [
        (1, "selected", None),
        (2, "selected", None),
        (3, "selected", None),
        (4, "waitlisted", 1),
        (5, "waitlisted", 2),
        (6, "rejected", None),
        (7, "rejected", None),
    ]


@given(
    st.lists(st.integers(min_value=0, max_value=100), max_size=40),
    st.integers(min_value=1, max_value=30),
)
def test_never_more_selected_than_the_quota(scores, quota):
    cands = [_c(i, s) for i, s in enumerate(scores)]
    decisions = decide(cands, quota)
    assert sum(d.outcome == "selected" for d in decisions) == min(quota, len(cands))
    ranks = [d.rank for d in decisions]
    assert ranks == list(range(1, len(cands) + 1))
