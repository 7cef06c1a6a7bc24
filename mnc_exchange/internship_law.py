"""French internship law: the numbers, and the checks an internship agreement must pass.

Pure module: standard library and ``holidays`` only (no Flask, no database), so it can be used
from forms, services, PDF generation, CLI commands and tests alike.

Every legal number lives in the single dated block below. When a figure changes (typically the
social-security hourly ceiling, every 1 January), update the block and its "checked" date; nothing
else in the code base should hard-code these numbers.

Findings are returned as data (a stable ``code`` naming the article, a stable ``message_key``, and
``params``), never as translated text: the caller builds the user-facing sentence with gettext.
``Finding.default_message`` gives a plain English fallback for logs, the CLI and tests.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import holidays

# =================================================================================================
# LEGAL TABLE — last checked 2025-11 against Légifrance, URSSAF and service-public.fr.
# Verify before relying on a number; keep every legal figure of the application here.
# =================================================================================================

#: Code de l'éducation D124-6: 7 hours of presence (consecutive or not) count as one day ...
HOURS_PER_DAY = 7
#: ... and 22 days of presence (consecutive or not) count as one month.
DAYS_PER_MONTH = 22
#: Working days per week over which the weekly hours are spread (Monday to Friday).
WORKING_DAYS_PER_WEEK = 5

#: Code de l'éducation L124-6 (with D124-6 counting): a stipend (gratification) is mandatory when
#: the internship at one host lasts more than 2 months, consecutive or not, in the same academic
#: year: more than 2 × 22 = 44 days × 7 h = 308 hours, i.e. from the 309th hour. It is owed from
#: the first day of the first month and paid monthly.
GRATIFICATION_THRESHOLD_HOURS = 2 * DAYS_PER_MONTH * HOURS_PER_DAY  # 308

#: Code de l'éducation L124-5: at most 6 months per intern, per host, per academic year
#: (6 × 22 days × 7 h = 924 hours).
MAX_HOURS_PER_HOST_PER_ACADEMIC_YEAR = 6 * DAYS_PER_MONTH * HOURS_PER_DAY  # 924

#: Code de l'éducation L124-6 and D124-8: minimum hourly stipend = 15 % of the social-security
#: hourly ceiling ("plafond horaire de la sécurité sociale", URSSAF, fixed by arrêté each year).
GRATIFICATION_RATE = Decimal("0.15")
#: Social-security hourly ceiling in euros, by calendar year (URSSAF "plafond horaire").
#: 2021: €26 → €3.90/h · 2022: €26 → €3.90/h ·
#: 2023: €27 → €4.05/h · 2024: €29 → €4.35/h · 2025: €29 → €4.35/h · 2026: €30 → €4.50/h.
#: The year used is the calendar year of the internship's start date (see check_internship).
SOCIAL_SECURITY_HOURLY_CEILING: dict[int, Decimal] = {
    2021: Decimal(26),
    2022: Decimal(26),
    2023: Decimal(27),
    2024: Decimal(29),
    2025: Decimal(29),
    2026: Decimal(30),
}

#: Code de l'éducation R124-10 (effectif computed per R124-11/R124-12): interns whose agreement
#: runs in the same calendar week at one host may not exceed 15 % of the headcount, rounded up,
#: when the headcount is 20 or more ...
MAX_INTERNS_SHARE_OF_HEADCOUNT = Fraction(15, 100)
#: ... and 3 interns when the headcount is below 20.
MAX_INTERNS_SMALL_HOST = 3
SMALL_HOST_HEADCOUNT_BELOW = 20

#: Code de l'éducation R124-13: a tutor may not be named if already tutoring 3 agreements running
#: on the new agreement's start date.
MAX_AGREEMENTS_PER_TUTOR = 3

#: Code de l'éducation L124-11: before putting a new intern on the same post, the host waits one
#: third of the previous internship's length (not applicable when the previous intern broke off
#: the internship on their own initiative).
SAME_POST_WAIT_FRACTION = Fraction(1, 3)

#: Code de l'éducation L124-14, applying the host's working-time rules, i.e. Code du travail:
#: L3121-18 daily maximum 10 h; L3121-20 weekly maximum 48 h; L3121-27 legal duration 35 h/week
#: (above 35 h we only warn: overtime is not a notion that applies to interns).
MAX_DAILY_HOURS = Decimal(10)
MAX_WEEKLY_HOURS = Decimal(48)
LEGAL_WEEKLY_HOURS = Decimal(35)

#: Code de l'éducation L124-13: an internship of more than 2 months (counted as in D124-6: more
#: than 2 × 22 days × 7 h = 308 hours of presence) must provide for leave and authorised
#: absences; the agreement states them (D124-4). "No day of leave" is refused past that length.
#: The law sets no number of days: at least one is required here, the parties agree the rest.
LEAVE_REQUIRED_ABOVE_HOURS = 2 * DAYS_PER_MONTH * HOURS_PER_DAY  # 308
MIN_LEAVE_DAYS_ABOVE_TWO_MONTHS = 1

#: CESEDA R426-19 / R426-20: for a non-EU intern staying more than 3 months, the host sends the
#: agreement to the préfet (online "avis sur une convention de stage", or registered letter) at
#: least 2 months before the start; the préfet answers within 30 days, silence means refusal.
#: R426-20: the 2 months become 1 month (and 30 days become 15) for an EU or intergovernmental
#: cooperation programme.
LONG_STAY_THRESHOLD_MONTHS = 3
PREFECTURE_NOTICE_MONTHS = 2
PREFECTURE_NOTICE_MONTHS_COOPERATION = 1
PREFECTURE_ANSWER_DAYS = 30
#: CESEDA (stagiaire visa / card): means of subsistence for one month at least equal to the basic
#: monthly allowance of French-government scholarship holders, €615; the stipend counts.
MIN_MONTHLY_RESOURCES_NON_EU = Decimal("615.00")

# =================================================================================================

CENT = Decimal("0.01")


class UnknownYearError(ValueError):
    """No social-security hourly ceiling is known for the requested year."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.known_years = sorted(SOCIAL_SECURITY_HOURLY_CEILING)
        known = ", ".join(str(y) for y in self.known_years)
        super().__init__(
            f"no social-security hourly ceiling known for {year} (known years: {known}); "
            "add it to SOCIAL_SECURITY_HOURLY_CEILING in mnc_exchange/internship_law.py"
        )


def _dec(value: Decimal | float | str) -> Decimal:
    """Convert to Decimal without binary floating-point noise (``0.1`` → ``Decimal("0.1")``)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("expected a number, got a bool")
    return Decimal(str(value))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _hours(value: Decimal) -> Decimal:
    """Hours for display: ``154`` not ``154.00``, ``6.5`` not ``6.50`` (never ``1E+2``)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def hourly_ceiling(year: int) -> Decimal:
    """Social-security hourly ceiling (euros) for ``year``; raises ``UnknownYearError``."""
    try:
        return SOCIAL_SECURITY_HOURLY_CEILING[year]
    except KeyError:
        raise UnknownYearError(year) from None


def hourly_minimum(year: int) -> Decimal:
    """Legal minimum stipend per hour of presence in ``year`` (15 % of the ceiling), to the cent."""
    return _money(hourly_ceiling(year) * GRATIFICATION_RATE)


def gratification_required(presence_hours: float) -> bool:
    """True when a stipend is mandatory: more than 308 hours of presence (from the 309th hour)."""
    hours = _dec(presence_hours)
    if hours < 0:
        raise ValueError(f"presence hours cannot be negative: {presence_hours}")
    return hours > GRATIFICATION_THRESHOLD_HOURS


def minimum_gratification(year: int, presence_hours: float) -> Decimal:
    """Legal minimum stipend for the whole internship, in euros rounded to the cent.

    ``presence_hours × ceiling(year) × 15 %`` (ROUND_HALF_UP), or ``Decimal("0.00")`` when no
    stipend is required (308 hours or less). Raises ``UnknownYearError`` for a year missing from
    the table, even when no stipend would be required, so that a stale table is noticed.

    >>> minimum_gratification(2023, 588)
    Decimal('2381.40')
    """
    ceiling = hourly_ceiling(year)
    if not gratification_required(presence_hours):
        return Decimal("0.00")
    return _money(_dec(presence_hours) * ceiling * GRATIFICATION_RATE)


def monthly_hours(weekly_hours: Decimal | float) -> Decimal:
    """Hours of presence in one legal month: 22 days × (weekly hours / 5). 35 h/week → 154 h."""
    return DAYS_PER_MONTH * _dec(weekly_hours) / WORKING_DAYS_PER_WEEK


def monthly_minimum(year: int, weekly_hours: Decimal | float) -> Decimal:
    """Legal minimum stipend for one month, to the cent: hourly minimum × 22 × weekly_hours / 5.

    This is the usual "smoothed" monthly amount (D124-6 counts 22 days of presence as a month, a
    day being weekly_hours / 5 here). The legal obligation is per hour of presence actually done:
    the whole internship's minimum is ``minimum_gratification(year, presence_hours(...))``.
    35 h/week in 2026 → 154 h × €4.50 = €693.00.
    """
    return _money(hourly_minimum(year) * monthly_hours(weekly_hours))


def leave_required(presence_hours: Decimal | float) -> bool:
    """True when the agreement must provide for leave and absences (L124-13): more than
    2 months, i.e. more than 308 hours of presence in the internship."""
    return _dec(presence_hours) > LEAVE_REQUIRED_ABOVE_HOURS


def max_concurrent_interns(headcount: int) -> int:
    """Maximum interns under agreement in the same calendar week at a host (R124-10).

    Headcount ≥ 20: 15 % of the headcount rounded up; below 20: 3.
    """
    if headcount < 0:
        raise ValueError(f"headcount cannot be negative: {headcount}")
    if headcount < SMALL_HOST_HEADCOUNT_BELOW:
        return MAX_INTERNS_SMALL_HOST
    return math.ceil(MAX_INTERNS_SHARE_OF_HEADCOUNT * headcount)


def working_days(start: date, end: date) -> list[date]:
    """Mondays to Fridays from ``start`` to ``end`` inclusive, minus French public holidays.

    Holidays are those of ``holidays.France()`` (metropolitan France, without the Alsace-Moselle
    extras); this includes Whit Monday, which many employers work as "journée de solidarité".
    """
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}")
    public = holidays.France(years=range(start.year, end.year + 1))
    days = []
    current = start
    one = timedelta(days=1)
    while current <= end:
        if current.weekday() < WORKING_DAYS_PER_WEEK and current not in public:
            days.append(current)
        current += one
    return days


def presence_hours(
    start: date,
    end: date,
    weekly_hours: Decimal | float,
    daily_hours: Decimal | float = HOURS_PER_DAY,
) -> Decimal:
    """Planned hours of presence between two dates inclusive, to the hundredth of an hour.

    Counts the working days Monday–Friday minus French public holidays, each worth
    ``weekly_hours / 5`` hours (the weekly schedule spread evenly over five days).

    ``daily_hours`` is accepted so that callers can pass the agreement's daily schedule, but it
    does not change the count: the weekly hours are authoritative. Daily limits are checked by
    ``check_internship``.
    """
    weekly = _dec(weekly_hours)
    if weekly <= 0:
        raise ValueError(f"weekly hours must be positive: {weekly_hours}")
    if _dec(daily_hours) <= 0:
        raise ValueError(f"daily hours must be positive: {daily_hours}")
    per_day = weekly / WORKING_DAYS_PER_WEEK
    days = len(working_days(start, end))
    return (days * per_day).quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic; the day is clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lasts_more_than_months(start: date, end: date, months: int) -> bool:
    """Whether the period ``start``..``end`` (both inclusive) is longer than ``months`` months.

    The period of exactly N months starting on ``start`` ends the day before
    ``add_months(start, N)``: 1 March–31 May is 3 months, 1 March–1 June is more.
    """
    return end >= add_months(start, months)


def same_post_available_from(previous_start: date, previous_end: date) -> date:
    """First day a new intern may start on the same post (L124-11).

    The waiting period is one third of the previous internship's length in calendar days
    (inclusive), rounded up, counted from the day after the previous internship ended.
    """
    if previous_end < previous_start:
        raise ValueError(f"end date {previous_end} is before start date {previous_start}")
    length = (previous_end - previous_start).days + 1
    wait = math.ceil(SAME_POST_WAIT_FRACTION * length)
    return previous_end + timedelta(days=wait + 1)


# ------------------------------------------------------------------------------------------------
# Agreement check
# ------------------------------------------------------------------------------------------------

#: Plain English templates by ``message_key``; the keys are stable (callers map them to gettext).
DEFAULT_MESSAGES: dict[str, str] = {
    "dates_inverted": "end date {end} must be after start date {start}",
    "hours_invalid": (
        "weekly hours ({weekly_hours}) and daily hours ({daily_hours}) must be positive"
    ),
    "ceiling_unknown": (
        "no social-security hourly ceiling known for {year} (known years: {known_years}); "
        "the minimum stipend cannot be checked"
    ),
    "ceiling_provisional": (
        "the social-security hourly ceiling for {year} is not published yet: the {known_year} "
        "figure ({ceiling} €) is used provisionally; check the stipend again in January"
    ),
    "max_hours_per_host": (
        "{total_hours} h at this host this academic year ({hours} h now + {hours_already} h "
        "before) > legal maximum {max_hours} h (6 months)"
    ),
    "stipend_missing": (
        "a stipend is mandatory above {threshold} h of presence at the same host in an academic "
        "year ({total_hours} h here); legal minimum {minimum} €/month"
    ),
    "stipend_below_minimum": (
        "stipend {stipend} €/month < legal minimum {minimum} €/month: "
        "{monthly_hours} h × {hourly} €"
    ),
    "too_many_interns_at_host": (
        "{interns} interns in the same week ({already} already + this one) > maximum "
        "{maximum} for a headcount of {headcount}"
    ),
    "tutor_overloaded": (
        "the tutor already tutors {running} running agreements; the maximum is {maximum}"
    ),
    "daily_hours_exceeded": "{daily_hours} h a day > legal maximum {maximum} h",
    "weekly_hours_exceeded": "{weekly_hours} h a week > legal maximum {maximum} h",
    "weekly_hours_above_legal": (
        "{weekly_hours} h a week is above the legal working week of {legal} h"
    ),
    "leave_missing": (
        "an internship of more than 2 months ({hours} h of presence > {threshold} h) must "
        "provide for leave and absences: give at least {minimum} day of leave"
    ),
    "start_not_in_future": (
        "the internship starts on {start}, which is not in the future: check the dates"
    ),
    "prefecture_submission": (
        "internship over {months} months for a non-EU student: the host must submit the "
        "agreement to the préfecture by {deadline}"
    ),
    "prefecture_deadline_passed": (
        "the préfecture submission deadline ({deadline}) has passed (today {today}): "
        "the start date must move"
    ),
    "resources_below_minimum": (
        "monthly resources {stipend} € < {minimum} € required for the visa; other resources "
        "(scholarship) must make up the difference"
    ),
}


class Finding(NamedTuple):
    """One rule outcome: article ``code``, stable ``message_key`` and the numbers in ``params``."""

    code: str
    message_key: str
    params: dict[str, Any]

    @property
    def default_message(self) -> str:
        """Plain English sentence with the numbers filled in (fallback when not translated)."""
        return DEFAULT_MESSAGES[self.message_key].format(**self.params)


@dataclass(frozen=True)
class InternshipTerms:
    """What ``check_internship`` needs to know about one planned internship."""

    start: date
    end: date
    weekly_hours: Decimal | float
    daily_hours: Decimal | float
    monthly_stipend: Decimal
    host_headcount: int
    #: other interns already under agreement at the host in a week overlapping this internship
    host_interns_in_same_week: int
    #: agreements the tutor already tutors that are running on this one's start date
    tutor_running_agreements: int
    hours_already_at_host_this_academic_year: Decimal | float = 0
    non_eu: bool = True
    #: reference date for deadlines (``None``: deadlines are reported but not judged)
    today: date | None = None
    #: EU or intergovernmental cooperation programme (CESEDA R426-20: 1 month's notice, not 2)
    cooperation_programme: bool = False
    #: days of leave granted during the internship (``None``: not part of these terms, the
    #: leave rule L124-13 is not checked)
    leave_days: int | None = None


@dataclass
class LawReport:
    """Result of ``check_internship``: blocking ``violations`` and advisory ``warnings``.

    The computed figures are exposed too, for the agreement and the internship certificate.
    """

    violations: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    year: int | None = None
    presence_hours: Decimal | None = None
    total_hours_at_host: Decimal | None = None
    gratification_required: bool = False
    hourly_minimum: Decimal | None = None
    monthly_minimum: Decimal | None = None
    minimum_total: Decimal | None = None
    long_stay: bool = False
    prefecture_deadline: date | None = None
    leave_required: bool = False

    @property
    def ok(self) -> bool:
        """True when there is no violation (warnings do not block)."""
        return not self.violations

    @property
    def codes(self) -> list[str]:
        """Message keys of all findings, violations first (handy in tests and logs)."""
        return [f.message_key for f in self.violations + self.warnings]


def check_internship(terms: InternshipTerms) -> LawReport:
    """Check planned internship terms against French internship law.

    Rules (see the legal table at the top of this module):

    - end after start;
    - ≤ 924 h per intern per host per academic year, counting earlier hours (L124-5);
    - stipend mandatory above 308 h at the host in the academic year, counting earlier hours, and
      at least the monthly minimum = hourly minimum × 22 × weekly_hours / 5 (L124-6, D124-8);
      the ceiling year is the start date's calendar year; for the year after the latest known
      one, the latest figure is used provisionally with a warning (older or later: violation);
    - interns at the host in the same week ≤ ``max_concurrent_interns(headcount)`` (R124-10);
    - the tutor is not already tutoring 3 running agreements (R124-13);
    - ≤ 10 h a day and ≤ 48 h a week (L124-14 → Code du travail); warning above 35 h a week;
    - more than 308 h of presence in this internship (2 months): at least one day of leave
      when ``leave_days`` is given (L124-13);
    - non-EU and longer than 3 calendar months: warning with the préfecture deadline
      (start − 2 months, 1 month for a cooperation programme), violation if ``today`` is past it
      (CESEDA R426-20); non-EU and stipend < €615/month: warning (visa resources).
    """
    report = LawReport()
    violations, warnings = report.violations, report.warnings
    weekly = _dec(terms.weekly_hours)
    daily = _dec(terms.daily_hours)
    stipend = _money(_dec(terms.monthly_stipend))

    if terms.end <= terms.start:
        violations.append(
            Finding("D124-4", "dates_inverted", {"start": terms.start, "end": terms.end})
        )
        return report
    if weekly <= 0 or daily <= 0:
        violations.append(
            Finding(
                "L124-14",
                "hours_invalid",
                {"weekly_hours": _hours(weekly), "daily_hours": _hours(daily)},
            )
        )
        return report

    year = terms.start.year
    report.year = year
    hours = presence_hours(terms.start, terms.end, weekly, daily)
    already = _dec(terms.hours_already_at_host_this_academic_year)
    total = hours + already
    report.presence_hours = hours
    report.total_hours_at_host = total

    # L124-5 — 6 months per intern, per host, per academic year.
    if total > MAX_HOURS_PER_HOST_PER_ACADEMIC_YEAR:
        violations.append(
            Finding(
                "L124-5",
                "max_hours_per_host",
                {
                    "total_hours": _hours(total),
                    "hours": _hours(hours),
                    "hours_already": _hours(already),
                    "max_hours": MAX_HOURS_PER_HOST_PER_ACADEMIC_YEAR,
                },
            )
        )

    # L124-6 / D124-8 — stipend.
    report.gratification_required = gratification_required(total)
    ceiling_year = year
    latest = max(SOCIAL_SECURITY_HOURLY_CEILING)
    if year == latest + 1:
        # Offers are published months ahead; next year's ceiling is fixed each December.
        # Use the latest known figure provisionally (the ceiling has never gone down).
        ceiling_year = latest
        warnings.append(
            Finding(
                "D124-8",
                "ceiling_provisional",
                {
                    "year": year,
                    "known_year": latest,
                    "ceiling": SOCIAL_SECURITY_HOURLY_CEILING[latest],
                },
            )
        )
    try:
        report.hourly_minimum = hourly_minimum(ceiling_year)
    except UnknownYearError as exc:
        violations.append(
            Finding(
                "D124-8",
                "ceiling_unknown",
                {"year": year, "known_years": ", ".join(str(y) for y in exc.known_years)},
            )
        )
    else:
        report.monthly_minimum = monthly_minimum(ceiling_year, weekly)
        # Owed for this internship's hours once the cumulative total passes the threshold.
        report.minimum_total = (
            _money(hours * hourly_ceiling(ceiling_year) * GRATIFICATION_RATE)
            if report.gratification_required
            else Decimal("0.00")
        )
    if report.gratification_required:
        minimum = report.monthly_minimum
        if stipend <= 0:
            violations.append(
                Finding(
                    "L124-6",
                    "stipend_missing",
                    {
                        "threshold": GRATIFICATION_THRESHOLD_HOURS,
                        "total_hours": _hours(total),
                        "minimum": minimum if minimum is not None else "?",
                    },
                )
            )
        elif minimum is not None and stipend < minimum:
            violations.append(
                Finding(
                    "L124-6",
                    "stipend_below_minimum",
                    {
                        "stipend": stipend,
                        "minimum": minimum,
                        "monthly_hours": _hours(monthly_hours(weekly)),
                        "hourly": report.hourly_minimum,
                    },
                )
            )

    # R124-10 — interns per host in the same calendar week.
    maximum = max_concurrent_interns(terms.host_headcount)
    interns = terms.host_interns_in_same_week + 1
    if interns > maximum:
        violations.append(
            Finding(
                "R124-10",
                "too_many_interns_at_host",
                {
                    "interns": interns,
                    "already": terms.host_interns_in_same_week,
                    "maximum": maximum,
                    "headcount": terms.host_headcount,
                },
            )
        )

    # R124-13 — interns per tutor.
    if terms.tutor_running_agreements >= MAX_AGREEMENTS_PER_TUTOR:
        violations.append(
            Finding(
                "R124-13",
                "tutor_overloaded",
                {"running": terms.tutor_running_agreements, "maximum": MAX_AGREEMENTS_PER_TUTOR},
            )
        )

    # L124-14 — working time (Code du travail L3121-18, L3121-20, L3121-27).
    if daily > MAX_DAILY_HOURS:
        violations.append(
            Finding(
                "L124-14",
                "daily_hours_exceeded",
                {"daily_hours": _hours(daily), "maximum": _hours(MAX_DAILY_HOURS)},
            )
        )
    if weekly > MAX_WEEKLY_HOURS:
        violations.append(
            Finding(
                "L124-14",
                "weekly_hours_exceeded",
                {"weekly_hours": _hours(weekly), "maximum": _hours(MAX_WEEKLY_HOURS)},
            )
        )
    elif weekly > LEGAL_WEEKLY_HOURS:
        warnings.append(
            Finding(
                "L124-14",
                "weekly_hours_above_legal",
                {"weekly_hours": _hours(weekly), "legal": _hours(LEGAL_WEEKLY_HOURS)},
            )
        )

    # L124-13 — leave and absences in an internship of more than 2 months (this internship's
    # own length, counted as in D124-6).
    report.leave_required = leave_required(hours)
    if (
        report.leave_required
        and terms.leave_days is not None
        and terms.leave_days < MIN_LEAVE_DAYS_ABOVE_TWO_MONTHS
    ):
        violations.append(
            Finding(
                "L124-13",
                "leave_missing",
                {
                    "hours": _hours(hours),
                    "threshold": LEAVE_REQUIRED_ABOVE_HOURS,
                    "minimum": MIN_LEAVE_DAYS_ABOVE_TWO_MONTHS,
                },
            )
        )

    # CESEDA R426-19 / R426-20 — non-EU students.
    if terms.non_eu:
        report.long_stay = lasts_more_than_months(
            terms.start, terms.end, LONG_STAY_THRESHOLD_MONTHS
        )
        if report.long_stay:
            notice = (
                PREFECTURE_NOTICE_MONTHS_COOPERATION
                if terms.cooperation_programme
                else PREFECTURE_NOTICE_MONTHS
            )
            deadline = add_months(terms.start, -notice)
            report.prefecture_deadline = deadline
            warnings.append(
                Finding(
                    "R426-20",
                    "prefecture_submission",
                    {"months": LONG_STAY_THRESHOLD_MONTHS, "deadline": deadline},
                )
            )
            if terms.today is not None and terms.today > deadline:
                violations.append(
                    Finding(
                        "R426-20",
                        "prefecture_deadline_passed",
                        {"deadline": deadline, "today": terms.today},
                    )
                )
        if stipend < MIN_MONTHLY_RESOURCES_NON_EU:
            warnings.append(
                Finding(
                    "R426-19",
                    "resources_below_minimum",
                    {"stipend": stipend, "minimum": MIN_MONTHLY_RESOURCES_NON_EU},
                )
            )

    return report
