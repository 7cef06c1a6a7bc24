"""Tests for mnc_exchange.internship_law: each rule at and around its thresholds."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from mnc_exchange import internship_law as law
from mnc_exchange.internship_law import (
    GRATIFICATION_THRESHOLD_HOURS,
    MAX_HOURS_PER_HOST_PER_ACADEMIC_YEAR,
    Finding,
    InternshipTerms,
    LawReport,
    UnknownYearError,
    add_months,
    check_internship,
    gratification_required,
    hourly_minimum,
    lasts_more_than_months,
    max_concurrent_interns,
    minimum_gratification,
    monthly_minimum,
    presence_hours,
    same_post_available_from,
    working_days,
)

# --------------------------------------------------------------------------- constants / contract


def test_derived_thresholds() -> None:
    assert GRATIFICATION_THRESHOLD_HOURS == 308  # 44 days × 7 h
    assert MAX_HOURS_PER_HOST_PER_ACADEMIC_YEAR == 924  # 6 × 22 days × 7 h


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(0, False), (307, False), (308, False), (308.01, True), (309, True), (924, True)],
)
def test_gratification_required_threshold(hours: float, expected: bool) -> None:
    assert gratification_required(hours) is expected


def test_gratification_required_accepts_decimal_and_rejects_negative() -> None:
    assert gratification_required(Decimal(309)) is True
    with pytest.raises(ValueError):
        gratification_required(-1)


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2023, "4.05"), (2024, "4.35"), (2025, "4.35"), (2026, "4.50")],
)
def test_hourly_minimum(year: int, expected: str) -> None:
    assert hourly_minimum(year) == Decimal(expected)


def test_minimum_gratification_example_from_the_domain() -> None:
    result = minimum_gratification(2023, 588)
    assert result == Decimal("2381.40")
    assert isinstance(result, Decimal)
    assert str(result) == "2381.40"


def test_minimum_gratification_at_threshold() -> None:
    assert minimum_gratification(2026, 308) == Decimal("0.00")
    assert str(minimum_gratification(2026, 308)) == "0.00"
    assert minimum_gratification(2026, 309) == Decimal("1390.50")  # 309 × 30 × 15 %
    assert minimum_gratification(2024, 924) == Decimal("4019.40")  # 924 × 4.35


def test_minimum_gratification_rounds_half_up() -> None:
    # 309.3 × 4.05 = 1252.665 → 1252.67 (banker's rounding would give 1252.66).
    assert minimum_gratification(2023, 309.3) == Decimal("1252.67")


def test_unknown_year_raises_a_clear_error() -> None:
    with pytest.raises(UnknownYearError) as info:
        minimum_gratification(2020, 588)
    assert isinstance(info.value, ValueError)
    assert info.value.year == 2020
    assert "2020" in str(info.value)
    assert "2021, 2022, 2023, 2024, 2025, 2026" in str(info.value)
    with pytest.raises(UnknownYearError):
        minimum_gratification(2031, 100)  # even when no stipend would be due
    with pytest.raises(UnknownYearError):
        hourly_minimum(2031)


def test_2021_and_2022_minimum() -> None:
    # URSSAF plafond horaire €26 in 2021 and 2022 → €3.90 per hour.
    assert hourly_minimum(2021) == Decimal("3.90")
    assert minimum_gratification(2022, 588) == Decimal("2293.20")


def test_monthly_minimum() -> None:
    assert monthly_minimum(2026, 35) == Decimal("693.00")  # 22 × 7 h × 4.50
    assert monthly_minimum(2023, 35) == Decimal("623.70")  # 154 × 4.05
    assert monthly_minimum(2025, Decimal(28)) == Decimal("535.92")  # 22 × 5.6 × 4.35


@pytest.mark.parametrize(
    ("headcount", "expected"),
    [(0, 3), (1, 3), (19, 3), (20, 3), (21, 4), (26, 4), (27, 5), (100, 15), (101, 16)],
)
def test_max_concurrent_interns(headcount: int, expected: int) -> None:
    assert max_concurrent_interns(headcount) == expected


def test_max_concurrent_interns_negative_headcount() -> None:
    with pytest.raises(ValueError):
        max_concurrent_interns(-1)


# ----------------------------------------------------------------------------- presence hours


def test_presence_hours_plain_week() -> None:
    # Monday 2 March to Friday 6 March 2026, no holiday.
    assert presence_hours(date(2026, 3, 2), date(2026, 3, 6), 35) == Decimal("35.00")


def test_presence_hours_excludes_14_july() -> None:
    # 14 July 2025 is a Monday: 4 working days left that week.
    assert presence_hours(date(2025, 7, 14), date(2025, 7, 18), 35) == Decimal("28.00")
    assert date(2025, 7, 14) not in working_days(date(2025, 7, 14), date(2025, 7, 18))
    # 14 July 2026 is a Tuesday.
    assert presence_hours(date(2026, 7, 13), date(2026, 7, 19), 35) == Decimal("28.00")


def test_presence_hours_excludes_weekends_and_spring_holidays() -> None:
    # May 2025: 22 weekdays, minus 1 May (Thu), 8 May (Thu), 29 May (Ascension, Thu) = 19 days.
    assert len(working_days(date(2025, 5, 1), date(2025, 5, 31))) == 19
    assert presence_hours(date(2025, 5, 1), date(2025, 5, 31), 35) == Decimal("133.00")


def test_presence_hours_across_new_year() -> None:
    # 29 Dec 2025 (Mon) – 2 Jan 2026 (Fri): 1 January is a holiday.
    assert presence_hours(date(2025, 12, 29), date(2026, 1, 2), 35) == Decimal("28.00")


def test_presence_hours_part_time_and_floats() -> None:
    assert presence_hours(date(2026, 3, 2), date(2026, 3, 6), 32.5) == Decimal("32.50")
    assert presence_hours(date(2026, 3, 2), date(2026, 3, 4), Decimal(24)) == Decimal("14.40")
    assert presence_hours(date(2026, 3, 7), date(2026, 3, 8), 35) == Decimal("0.00")  # weekend


def test_presence_hours_invalid() -> None:
    with pytest.raises(ValueError):
        presence_hours(date(2026, 3, 6), date(2026, 3, 2), 35)
    with pytest.raises(ValueError):
        presence_hours(date(2026, 3, 2), date(2026, 3, 6), 0)


def test_date_helpers() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 2), -2) == date(2026, 1, 2)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
    assert not lasts_more_than_months(date(2026, 3, 1), date(2026, 5, 31), 3)
    assert lasts_more_than_months(date(2026, 3, 1), date(2026, 6, 1), 3)


def test_same_post_waiting_period() -> None:
    # 1 Jan – 31 Mar 2026 = 90 days → wait 30 days (April) → new intern from 1 May.
    assert same_post_available_from(date(2026, 1, 1), date(2026, 3, 31)) == date(2026, 5, 1)
    # 10 days → wait ceil(10/3) = 4 days.
    assert same_post_available_from(date(2026, 1, 1), date(2026, 1, 10)) == date(2026, 1, 15)


# ---------------------------------------------------------------------------- check_internship

# A compliant one-week baseline: 2 to 6 March 2026 (35 h), well-paid, small numbers everywhere.
BASE = InternshipTerms(
    start=date(2026, 3, 2),
    end=date(2026, 3, 6),
    weekly_hours=35,
    daily_hours=7,
    monthly_stipend=Decimal("700.00"),
    host_headcount=50,
    host_interns_in_same_week=0,
    tutor_running_agreements=0,
)


def check(**changes: object) -> LawReport:
    return check_internship(dataclasses.replace(BASE, **changes))


def keys(findings: list[Finding]) -> list[str]:
    return [f.message_key for f in findings]


def test_baseline_is_clean() -> None:
    report = check()
    assert report.ok
    assert report.violations == [] and report.warnings == []
    assert report.presence_hours == Decimal("35.00")
    assert report.year == 2026
    assert report.hourly_minimum == Decimal("4.50")
    assert report.monthly_minimum == Decimal("693.00")
    assert report.gratification_required is False
    assert report.minimum_total == Decimal("0.00")


def test_terms_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        BASE.weekly_hours = 40  # type: ignore[misc]


@pytest.mark.parametrize("end", [date(2026, 3, 2), date(2026, 3, 1)])
def test_end_must_be_after_start(end: date) -> None:
    report = check(end=end)
    assert keys(report.violations) == ["dates_inverted"]
    assert report.violations[0].code == "D124-4"


@pytest.mark.parametrize(("already", "violation"), [(889, False), (890, True)])
def test_max_924_hours_per_host_per_academic_year(already: int, violation: bool) -> None:
    # 35 h this week + already → 924 h allowed, 925 h not.
    report = check(hours_already_at_host_this_academic_year=already)
    assert ("max_hours_per_host" in keys(report.violations)) is violation
    if violation:
        finding = report.violations[0]
        assert finding.code == "L124-5"
        assert finding.params["total_hours"] == Decimal(925)
        assert "925 h" in finding.default_message and "924 h" in finding.default_message


@pytest.mark.parametrize(("already", "required"), [(273, False), (274, True)])
def test_stipend_required_from_the_309th_hour_cumulatively(already: int, required: bool) -> None:
    report = check(hours_already_at_host_this_academic_year=already, monthly_stipend=Decimal(0))
    assert report.gratification_required is required
    assert ("stipend_missing" in keys(report.violations)) is required
    if required:
        assert report.minimum_total == Decimal("157.50")  # this internship's 35 h × 4.50


def test_no_stipend_needed_for_a_short_internship() -> None:
    report = check(monthly_stipend=Decimal(0), non_eu=False)
    assert report.ok and report.warnings == []


def test_stipend_below_monthly_minimum() -> None:
    # 2 March – 28 August 2026: long enough to require a stipend.
    report = check(end=date(2026, 8, 28), monthly_stipend=Decimal(600), non_eu=False)
    assert report.gratification_required
    assert keys(report.violations) == ["stipend_below_minimum"]
    finding = report.violations[0]
    assert finding.code == "L124-6"
    assert finding.params == {
        "stipend": Decimal("600.00"),
        "minimum": Decimal("693.00"),
        "monthly_hours": Decimal(154),
        "hourly": Decimal("4.50"),
    }
    assert finding.default_message == (
        "stipend 600.00 €/month < legal minimum 693.00 €/month: 154 h × 4.50 €"
    )
    code, message_key, params = finding  # a plain (code, key, params) triple
    assert (code, message_key, params) == ("L124-6", "stipend_below_minimum", finding.params)


@pytest.mark.parametrize(("stipend", "violation"), [("693.00", False), ("692.99", True)])
def test_stipend_at_the_minimum(stipend: str, violation: bool) -> None:
    report = check(end=date(2026, 8, 28), monthly_stipend=Decimal(stipend), non_eu=False)
    assert ("stipend_below_minimum" in keys(report.violations)) is violation


def test_stipend_minimum_uses_the_start_year_and_part_time() -> None:
    # Starts in 2025 (4.35 €/h), 28 h a week → 22 × 5.6 h = 123.2 h → 535.92 €.
    report = check(
        start=date(2025, 9, 1),
        end=date(2026, 1, 30),
        weekly_hours=28,
        daily_hours=Decimal("5.6"),
        monthly_stipend=Decimal("535.91"),
        non_eu=False,
    )
    assert keys(report.violations) == ["stipend_below_minimum"]
    assert report.violations[0].params["minimum"] == Decimal("535.92")
    assert "123.2 h × 4.35 €" in report.violations[0].default_message


def test_unknown_year_is_reported_not_raised() -> None:
    report = check(start=date(2030, 3, 4), end=date(2030, 3, 8))
    assert keys(report.violations) == ["ceiling_unknown"]
    assert report.violations[0].params["year"] == 2030


@pytest.mark.parametrize(
    ("headcount", "already", "violation"),
    [
        (19, 2, False),
        (19, 3, True),
        (20, 2, False),
        (20, 3, True),
        (21, 3, False),
        (21, 4, True),
        (100, 14, False),
        (100, 15, True),
    ],
)
def test_interns_per_host(headcount: int, already: int, violation: bool) -> None:
    report = check(host_headcount=headcount, host_interns_in_same_week=already)
    assert ("too_many_interns_at_host" in keys(report.violations)) is violation
    if violation:
        assert report.violations[0].code == "R124-10"
        assert report.violations[0].params["maximum"] == max_concurrent_interns(headcount)


@pytest.mark.parametrize(("running", "violation"), [(0, False), (2, False), (3, True), (4, True)])
def test_tutor_may_not_already_tutor_three(running: int, violation: bool) -> None:
    report = check(tutor_running_agreements=running)
    assert ("tutor_overloaded" in keys(report.violations)) is violation
    if violation:
        assert report.violations[0].code == "R124-13"


@pytest.mark.parametrize(("daily", "violation"), [(10, False), (Decimal("10.5"), True), (11, True)])
def test_daily_hours_max_10(daily: Decimal, violation: bool) -> None:
    report = check(daily_hours=daily)
    assert ("daily_hours_exceeded" in keys(report.violations)) is violation
    if violation:
        assert report.violations[0].code == "L124-14"


@pytest.mark.parametrize(
    ("weekly", "violation", "warning"),
    [
        (35, None, None),
        (Decimal("35.5"), None, "weekly_hours_above_legal"),
        (48, None, "weekly_hours_above_legal"),
        (Decimal("48.5"), "weekly_hours_exceeded", None),
    ],
)
def test_weekly_hours(weekly: Decimal, violation: str | None, warning: str | None) -> None:
    report = check(weekly_hours=weekly, monthly_stipend=Decimal(1000))
    assert keys(report.violations) == ([violation] if violation else [])
    assert keys(report.warnings) == ([warning] if warning else [])


def test_non_positive_hours() -> None:
    assert keys(check(weekly_hours=0).violations) == ["hours_invalid"]
    assert keys(check(daily_hours=0).violations) == ["hours_invalid"]


@pytest.mark.parametrize(("stipend", "warning"), [("615.00", False), ("614.99", True)])
def test_non_eu_resources_615(stipend: str, warning: bool) -> None:
    report = check(monthly_stipend=Decimal(stipend))
    assert ("resources_below_minimum" in keys(report.warnings)) is warning
    assert report.ok


def test_resources_not_checked_for_eu_students() -> None:
    assert check(monthly_stipend=Decimal(0), non_eu=False).warnings == []


def test_prefecture_submission_only_above_three_months() -> None:
    exactly_three = check(end=date(2026, 6, 1))  # 2 March – 1 June: exactly 3 months
    assert not exactly_three.long_stay
    assert "prefecture_submission" not in keys(exactly_three.warnings)

    report = check(end=date(2026, 6, 2), monthly_stipend=Decimal(700))
    assert report.long_stay
    assert report.prefecture_deadline == date(2026, 1, 2)
    finding = next(f for f in report.warnings if f.message_key == "prefecture_submission")
    assert finding.params["deadline"] == date(2026, 1, 2)
    assert "2026-01-02" in finding.default_message

    eu = check(end=date(2026, 6, 2), non_eu=False)
    assert eu.prefecture_deadline is None and eu.warnings == []


def test_prefecture_deadline_for_cooperation_programme() -> None:
    report = check(end=date(2026, 6, 2), cooperation_programme=True)
    assert report.prefecture_deadline == date(2026, 2, 2)


@pytest.mark.parametrize(("offset", "violation"), [(-1, False), (0, False), (1, True)])
def test_prefecture_deadline_passed(offset: int, violation: bool) -> None:
    today = date(2026, 1, 2) + timedelta(days=offset)
    report = check(end=date(2026, 6, 2), today=today)
    assert ("prefecture_deadline_passed" in keys(report.violations)) is violation


def test_every_finding_has_a_default_message() -> None:
    report = check(
        end=date(2026, 8, 28),
        monthly_stipend=Decimal(100),
        host_headcount=5,
        host_interns_in_same_week=5,
        tutor_running_agreements=3,
        daily_hours=12,
        weekly_hours=50,
        hours_already_at_host_this_academic_year=500,
        today=date(2026, 2, 1),
    )
    assert set(keys(report.violations)) == {
        "max_hours_per_host",
        "stipend_below_minimum",
        "too_many_interns_at_host",
        "tutor_overloaded",
        "daily_hours_exceeded",
        "weekly_hours_exceeded",
        "prefecture_deadline_passed",
    }
    assert set(keys(report.warnings)) == {"prefecture_submission", "resources_below_minimum"}
    for finding in report.violations + report.warnings:
        assert finding.default_message
        assert "{" not in finding.default_message


def test_next_year_uses_the_latest_ceiling_provisionally() -> None:
    latest = max(law.SOCIAL_SECURITY_HOURLY_CEILING)
    report = check(start=date(latest + 1, 3, 1), end=date(latest + 1, 6, 30))
    assert "ceiling_provisional" in keys(report.warnings)
    assert report.hourly_minimum == law.hourly_minimum(latest)
    # Two years ahead is still refused: the table is stale.
    report = check(start=date(latest + 2, 3, 1), end=date(latest + 2, 6, 30))
    assert keys(report.violations) == ["ceiling_unknown"]
