"""Demo data: one account per role, the current cohort and the previous one, their applicants,
the host companies and the matching, and the archived years' history. Idempotent.

The parts: ``common`` (the shared names: the password, the accounts of each role, the names,
the dates), ``accounts``, ``applicants``, ``hosts``, ``history`` (the archived cohorts and the
follow-up of their interns, the slow part: tests that do not need it pass ``history=False``) and
``scale`` (``flask demo-data --scale N``, N times the demo programme).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..audit.services import record
from ..cohorts.models import Cohort, CohortState
from ..cohorts.services import create_cohort, make_current, transition
from ..extensions import db
from .accounts import ensure_demo_accounts
from .applicants import load_demo_applications
from .common import DEMO_ACCOUNTS, DEMO_HOST_EMAIL, DEMO_PASSWORD, cohort_years
from .history import load_demo_history
from .hosts import load_demo_hosts

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_HOST_EMAIL",
    "DEMO_PASSWORD",
    "cohort_years",
    "load_demo_data",
    "demo_logins",
    "load_demo_without_archives",
]


def _previous_calendar(previous: int) -> dict[str, date]:
    """The real calendar: matching in mid-January leaves time to sign the agreements before
    the préfecture's deadline (2 months before an April start)."""
    return {
        "applications_open_on": date(previous - 1, 10, 1),
        "applications_close_on": date(previous - 1, 11, 20),
        "selection_on": date(previous - 1, 12, 18),
        "matching_on": date(previous, 1, 16),
        "departure_on": date(previous, 4, 1),
        "return_on": date(previous, 9, 30),
    }


def _current_calendar(today: date) -> dict[str, date]:
    """The call opened a month ago and closes in six weeks."""
    return {
        name: today + timedelta(days=days)
        for name, days in (
            ("applications_open_on", -30),
            ("applications_close_on", 45),
            ("selection_on", 75),
            ("matching_on", 105),
            ("departure_on", 150),
            ("return_on", 330),
        )
    }


def _cohorts(today: date) -> tuple[Cohort, Cohort]:
    """(previous, current): the previous cohort as it ended (returned), the current one open
    and current; each created when missing."""
    year, previous = cohort_years(today)
    past = db.session.scalar(select(Cohort).where(Cohort.year == previous))
    if past is None:
        past = create_cohort(previous, 30, f"MNC {previous}", **_previous_calendar(previous))
        past.state = CohortState.returned  # a past year, loaded as it ended
        record("cohort.demo_state", past, {"state": past.state.value})
    cohort = db.session.scalar(select(Cohort).where(Cohort.year == year))
    if cohort is None:
        cohort = create_cohort(year, 30, f"MNC {year}", **_current_calendar(today))
        transition(cohort, CohortState.open, today)
    if not cohort.is_current:
        make_current(cohort)
    db.session.flush()
    return past, cohort


def load_demo_data(today: date | None = None, history: bool = True) -> list[tuple[str, str]]:
    """Create what is missing of the demo data; returns the demo accounts (role, e-mail).

    ``history``: also the archived cohorts and every intern's follow-up (``history``)."""
    today = today or date.today()
    ensure_demo_accounts()
    past, cohort = _cohorts(today)
    load_demo_applications(cohort, today)
    # Host companies, offers, the previous cohort's matching; the demo host account becomes a
    # contact of the first company.
    host = db.session.scalar(select(User).where(User.email == DEMO_HOST_EMAIL))
    load_demo_hosts(past, cohort, host, today)
    if history:
        load_demo_history(today)
    return [(role.value, email) for role, email, _ in DEMO_ACCOUNTS]


def load_demo_without_archives(today: date | None = None) -> list[tuple[str, str]]:
    """The demo data and the previous cohort's agreements and follow-up, without the five
    archived years (their slow part): what the screenshots and the browser tests show."""
    accounts = load_demo_data(today, history=False)
    load_demo_history(today, archived=False)
    return accounts


def demo_logins() -> dict[str, str]:
    """Who to log in as to see each kind of page of the demo: the e-mail of each role's account
    (keyed by role), of an applicant whose file was returned for correction (``applicant``) and
    of an intern of the previous cohort (``alumnus``)."""
    from ..applications.models import Application, ApplicationStatus
    from ..followup.models import Internship
    from ..placements.models import Placement

    current = db.session.scalar(select(Cohort).where(Cohort.is_current))
    student = select(User.email).join(Application, Application.student_id == User.id)
    return {role.value: email for role, email, _name in DEMO_ACCOUNTS} | {
        "applicant": db.session.scalar(
            student.where(
                Application.cohort_id == current.id,
                Application.status == ApplicationStatus.returned,
            ).order_by(Application.id)
        ),
        "alumnus": db.session.scalar(
            student.join(Placement, Placement.application_id == Application.id)
            .join(Internship, Internship.placement_id == Placement.id)
            .order_by(Internship.id)
        ),
    }
