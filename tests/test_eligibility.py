"""The pure eligibility screening rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from mnc_exchange.applications.eligibility import (
    Applicant,
    Rules,
    add_months,
    passport_needed_until,
    screen,
)

END = date(2027, 9, 30)
GOOD = Applicant(
    french_level="B2",
    grade_average=Decimal("12.00"),
    year_of_study=4,
    passport_expiry=date(2027, 12, 30),
)


DEFAULT_RULES = Rules()


def _codes(applicant, rules=DEFAULT_RULES, end=END):
    return [r.code for r in screen(applicant, rules, end).reasons]


def test_everything_at_the_threshold_is_eligible():
    result = screen(GOOD, Rules(), END)
    assert result.eligible and result.reasons == ()


@pytest.mark.parametrize(
    "change, code",
    [
        ({"french_level": "B1"}, "french_level"),
        ({"french_level": None}, "french_level"),
        ({"grade_average": Decimal("11.99")}, "average"),
        ({"grade_average": None}, "average"),
        ({"year_of_study": 2}, "year_of_study"),
        ({"year_of_study": None}, "year_of_study"),
        ({"passport_expiry": date(2027, 12, 29)}, "passport"),
        ({"passport_expiry": None}, "passport"),
    ],
)
def test_each_rule_just_below_its_threshold(change, code):
    applicant = Applicant(**{**GOOD.__dict__, **change})
    assert _codes(applicant) == [code]


def test_several_reasons_are_all_given():
    applicant = Applicant("A2", Decimal("9"), 1, date(2026, 1, 1))
    assert _codes(applicant) == ["french_level", "average", "year_of_study", "passport"]


def test_rules_are_configurable():
    rules = Rules(
        min_french_level="C1",
        min_average=Decimal("14"),
        allowed_years=(5,),
        passport_months_after_end=0,
    )
    assert _codes(GOOD, rules) == ["french_level", "average", "year_of_study"]
    assert screen(Applicant("C2", Decimal("15"), 5, END), rules, END).eligible


def test_no_internship_end_known_skips_the_passport_rule():
    assert _codes(Applicant(**{**GOOD.__dict__, "passport_expiry": None}), end=None) == []


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2027, 9, 30), 3, date(2027, 12, 30)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year clamp
        (date(2027, 8, 31), 1, date(2027, 9, 30)),
        (date(2027, 1, 15), 12, date(2028, 1, 15)),
        (date(2027, 1, 15), 0, date(2027, 1, 15)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_passport_needed_until():
    assert passport_needed_until(END, 3) == date(2027, 12, 30)
    assert passport_needed_until(None, 3) is None
