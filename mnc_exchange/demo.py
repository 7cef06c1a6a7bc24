"""Demo data: one account per role and the current cohort. Idempotent.

Later domains extend ``load_demo_data`` with their own demo records; ``history`` adds the
archived cohorts and the follow-up of their interns (``demo_history``, the slow part: tests
that do not need it pass ``history=False``).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from .accounts.models import Role, User
from .accounts.services import create_user
from .audit.services import record
from .cohorts.models import Cohort, CohortState
from .cohorts.services import create_cohort, make_current, transition
from .demo_applications import load_demo_applications
from .demo_history import load_demo_history
from .demo_hosts import load_demo_hosts
from .extensions import db

DEMO_PASSWORD = "mnc-demo-2026!"  # noqa: S105 - printed demo password, demo data only

DEMO_HOST_EMAIL = "rh@demo-entreprise.fr"

DEMO_ACCOUNTS = [
    (Role.admin, "admin@demo.mnc.ma", "Amina Admin"),
    (Role.coordinator, "coordinateur@demo.mnc.ma", "Karim Bennani"),
    (Role.student, "etudiant@demo.mnc.ma", "Salma El Idrissi"),
    (Role.host, DEMO_HOST_EMAIL, "Claire Martin"),
    (Role.official, "officiel@demo.mnc.ma", "Youssef Alaoui"),
]


def cohort_years(today: date) -> tuple[int, int]:
    """(current, previous) cohort years: from September on, the call is for next year."""
    year = today.year + (1 if today.month >= 9 else 0)
    return year, year - 1


def load_demo_data(today: date | None = None, history: bool = True) -> list[tuple[str, str]]:
    """Create what is missing of the demo data; returns the demo accounts (role, e-mail).

    ``history``: also the archived cohorts and every intern's follow-up (``demo_history``)."""
    today = today or date.today()
    for role, email, name in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(email, DEMO_PASSWORD, name, role, locale="fr", approved=True)
    year, previous = cohort_years(today)
    past = db.session.scalar(select(Cohort).where(Cohort.year == previous))
    if past is None:
        # The real calendar: matching in mid-January leaves time to sign the agreements
        # before the préfecture's deadline (2 months before an April start).
        past = create_cohort(
            previous,
            30,
            f"MNC {previous}",
            applications_open_on=date(previous - 1, 10, 1),
            applications_close_on=date(previous - 1, 11, 20),
            selection_on=date(previous - 1, 12, 18),
            matching_on=date(previous, 1, 16),
            departure_on=date(previous, 4, 1),
            return_on=date(previous, 9, 30),
        )
        past.state = CohortState.returned  # a past year, loaded as it ended
        record("cohort.demo_state", past, {"state": past.state.value})
    cohort = db.session.scalar(select(Cohort).where(Cohort.year == year))
    if cohort is None:
        cohort = create_cohort(
            year,
            30,
            f"MNC {year}",
            applications_open_on=today - timedelta(days=30),
            applications_close_on=today + timedelta(days=45),
            selection_on=today + timedelta(days=75),
            matching_on=today + timedelta(days=105),
            departure_on=today + timedelta(days=150),
            return_on=today + timedelta(days=330),
        )
        transition(cohort, CohortState.open, today)
    if not cohort.is_current:
        make_current(cohort)
    db.session.flush()
    load_demo_applications(cohort, today)
    # Host companies, offers, the previous cohort's matching; the demo host account becomes a
    # contact of the first company.
    host = db.session.scalar(select(User).where(User.email == DEMO_HOST_EMAIL))
    load_demo_hosts(past, cohort, host, today)
    if history:
        load_demo_history(today)
    return [(role.value, email) for role, email, _ in DEMO_ACCOUNTS]
