"""Eligibility screening rules: pure, framework-free.

``screen()`` takes the applicant's data and the cohort's rules and returns a suggestion with
reasons; a coordinator then confirms or overrides it (with a written reason).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .reference import CEFR_LEVELS


@dataclass(frozen=True)
class Rules:
    min_french_level: str = "B2"
    min_average: Decimal = Decimal("12.00")
    allowed_years: tuple[int, ...] = (3, 4, 5)
    passport_months_after_end: int = 3


@dataclass(frozen=True)
class Applicant:
    french_level: str | None
    grade_average: Decimal | None
    year_of_study: int | None
    passport_expiry: date | None


@dataclass(frozen=True)
class Reason:
    """Why a rule failed: a stable ``code`` and the numbers, to be worded by the caller."""

    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Screening:
    eligible: bool
    reasons: tuple[Reason, ...]


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def passport_needed_until(latest_end: date | None, months_after_end: int) -> date | None:
    return add_months(latest_end, months_after_end) if latest_end else None


def screen(applicant: Applicant, rules: Rules, latest_internship_end: date | None) -> Screening:
    """Apply every rule; the applicant is eligible when no rule fails."""
    reasons: list[Reason] = []
    if applicant.french_level not in CEFR_LEVELS or CEFR_LEVELS.index(
        applicant.french_level
    ) < CEFR_LEVELS.index(rules.min_french_level):
        reasons.append(
            Reason(
                "french_level",
                {"level": applicant.french_level or "—", "minimum": rules.min_french_level},
            )
        )
    if applicant.grade_average is None or applicant.grade_average < rules.min_average:
        reasons.append(
            Reason(
                "average",
                {
                    "average": str(applicant.grade_average) if applicant.grade_average else "—",
                    "minimum": str(rules.min_average),
                },
            )
        )
    if applicant.year_of_study not in rules.allowed_years:
        reasons.append(
            Reason(
                "year_of_study",
                {
                    "year": applicant.year_of_study or "—",
                    "allowed": ", ".join(str(y) for y in sorted(rules.allowed_years)),
                },
            )
        )
    needed = passport_needed_until(latest_internship_end, rules.passport_months_after_end)
    if needed and (applicant.passport_expiry is None or applicant.passport_expiry < needed):
        reasons.append(
            Reason(
                "passport",
                {
                    "expiry": applicant.passport_expiry.isoformat()
                    if applicant.passport_expiry
                    else "—",
                    "needed": needed.isoformat(),
                },
            )
        )
    return Screening(eligible=not reasons, reasons=tuple(reasons))
