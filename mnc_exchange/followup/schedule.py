"""Due dates of the mobility checklist, check-in months, survey dates and the red/amber/green
rating. Pure: standard library and the law core only (no Flask, no database).

Offsets are counted from the internship's start date (or, for the VLS-TS validation, from the
arrival). For a long stay the visa appointment waits for the préfecture's stamp (a week after
it is due) and the visa is expected a week before the start. CESEDA: the préfecture answers
within 30 days of a submission made at least 2 months before the start, so the stamp is
expected a month before; the VLS-TS is validated online within 3 months of arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..internship_law import add_months

#: (key, days before the start it is due; None = computed otherwise), in checklist order.
STEPS: tuple[tuple[str, int | None], ...] = (
    ("prefecture_stamp", None),  # start − 1 month (long stays only)
    ("visa_appointment", 42),
    ("insurance", 21),
    ("housing", 21),
    ("visa_granted", 14),
    ("travel_booked", 14),
    ("departure", 1),
    ("arrival_confirmed", 0),
    ("vls_ts_validated", None),  # arrival + 3 months (long stays only)
)

#: Steps only for internships over 3 months (VLS-TS "stagiaire").
LONG_STAY_ONLY = frozenset({"prefecture_stamp", "vls_ts_validated"})

#: Days of grace after a due date before a step turns the intern red.
RED_AFTER_DAYS = 7
#: A step due within this many days makes the intern amber.
AMBER_WITHIN_DAYS = 7

GREEN, AMBER, RED = "green", "amber", "red"


def step_keys(long_stay: bool) -> list[str]:
    return [key for key, _ in STEPS if long_stay or key not in LONG_STAY_ONLY]


def due_dates(start: date, long_stay: bool, arrived_on: date | None = None) -> dict[str, date]:
    """Due date of each step of the checklist for an internship starting on ``start``."""
    dues: dict[str, date] = {}
    for key, days in STEPS:
        if key in LONG_STAY_ONLY and not long_stay:
            continue
        if key == "prefecture_stamp":
            dues[key] = add_months(start, -1)
        elif long_stay and key == "visa_appointment":
            # The consulate wants the agreement stamped by the préfecture: a week after it.
            dues[key] = add_months(start, -1) + timedelta(days=7)
        elif long_stay and key == "visa_granted":
            dues[key] = start - timedelta(days=7)
        elif key == "vls_ts_validated":
            dues[key] = add_months(arrived_on or start, 3)
        else:
            dues[key] = start - timedelta(days=days or 0)
    return dues


@dataclass(frozen=True)
class StepState:
    key: str
    due_on: date
    done_on: date | None


def overdue(steps: list[StepState], today: date) -> list[StepState]:
    return [s for s in steps if s.done_on is None and s.due_on < today]


def return_overdue(end: date, returned_on: date | None, today: date) -> bool:
    """The internship's last day is past and the return to Morocco is not confirmed."""
    return returned_on is None and end < today


def rating(
    steps: list[StepState],
    today: date,
    critical_incident: bool = False,
    unconfirmed_return_since: date | None = None,
) -> str:
    """red: a step overdue by more than 7 days, an open critical incident, or an internship
    over for more than 7 days without a confirmed return; amber: a step overdue by up to 7
    days or due within 7 days, or an internship over for up to 7 days without a confirmed
    return; green otherwise. ``unconfirmed_return_since``: the last day of an internship whose
    return is not confirmed (None once confirmed)."""
    if critical_incident:
        return RED
    if unconfirmed_return_since is not None and unconfirmed_return_since < today:
        if (today - unconfirmed_return_since).days > RED_AFTER_DAYS:
            return RED
        worst = AMBER
    else:
        worst = GREEN
    late = overdue(steps, today)
    if any((today - s.due_on).days > RED_AFTER_DAYS for s in late):
        return RED
    if late:
        return AMBER
    soon = today + timedelta(days=AMBER_WITHIN_DAYS)
    if any(s.done_on is None and today <= s.due_on <= soon for s in steps):
        return AMBER
    return worst


def month_start(day: date) -> date:
    return day.replace(day=1)


def checkin_months(start: date, end: date) -> list[date]:
    """First days of the calendar months the internship touches (one check-in each)."""
    months = []
    current = month_start(start)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def missing_checkins(start: date, end: date, done: set[date], today: date) -> list[date]:
    """Months already over (today after the month's last day) without a check-in."""
    missing = []
    for month in checkin_months(start, end):
        month_end = add_months(month, 1) - timedelta(days=1)
        if today > month_end and month not in done:
            missing.append(month)
    return missing


def survey_due(end: date, wave_months: int) -> date:
    """A survey is due ``wave_months`` calendar months after the internship's last day."""
    return add_months(end, wave_months)


def midpoint(start: date, end: date) -> date:
    return start + (end - start) / 2
