"""Retention (law 09-08, GDPR): unsuccessful applicants' personal data is anonymised once the
retention period after their cohort has passed, keeping what the statistics need.

Unsuccessful: draft, submitted-but-not-decided, returned, ineligible, waitlisted, not selected
or withdrawn, in a cohort whose placements are confirmed (or later) and whose year ended more
than ``PERSONAL_DATA_RETENTION_YEARS`` years ago (counted from 31 December of the cohort's
year). Kept for the reports: status, gender, region, institution, programme, year of study and
the scores. Removed: names, birth date, CIN, passport, phone, motivation, messages, documents
(rows and files). The account is anonymised and deactivated too unless the person has another
application that is kept (e.g. selected another year).
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..accounts.models import Role, User
from ..applications import uploads
from ..applications.models import Application, ApplicationMessage, ApplicationStatus
from ..audit.services import record
from ..cohorts.models import Cohort, CohortState
from ..core.errors import DomainError
from ..core.timeutils import utcnow
from ..extensions import db

A = ApplicationStatus
UNSUCCESSFUL = (
    A.draft,
    A.submitted,
    A.returned,
    A.eligible,
    A.ineligible,
    A.scored,
    A.shortlisted,
    A.interviewed,
    A.waitlisted,
    A.rejected,
    A.withdrawn,
)
#: Cohorts past selection and placement.
FINISHED = (CohortState.placed, CohortState.abroad, CohortState.returned, CohortState.archived)


@dataclass
class PurgeReport:
    applications: int = 0
    documents: int = 0
    files: int = 0
    accounts: int = 0
    cohorts: list[int] = field(default_factory=list)


def _has_placement(application_ids: list[int]) -> set[int]:
    from ..placements.models import Placement

    return set(
        db.session.scalars(
            select(Placement.application_id).where(Placement.application_id.in_(application_ids))
        )
    )


def candidates(today: date | None = None, years: int | None = None) -> list[Application]:
    today = today or date.today()
    years = current_app.config["PERSONAL_DATA_RETENTION_YEARS"] if years is None else years
    last_year = today.year - years - 1  # cohort year Y is kept until 31 Dec of Y + years
    applications = list(
        db.session.scalars(
            select(Application)
            .join(Cohort, Cohort.id == Application.cohort_id)
            .options(selectinload(Application.documents))
            .where(
                Cohort.year <= last_year,
                Cohort.state.in_(FINISHED),
                Application.status.in_(UNSUCCESSFUL),
                Application.anonymised_at.is_(None),
            )
        )
    )
    placed = _has_placement([a.id for a in applications] or [0])
    return [a for a in applications if a.id not in placed]


def purge(today: date | None = None, years: int | None = None, dry_run: bool = False):
    """Anonymise the unsuccessful applications past the retention period."""
    report = PurgeReport()
    targets = candidates(today, years)
    report.applications = len(targets)
    report.cohorts = sorted({a.cohort_id for a in targets})
    report.documents = sum(len(a.documents) for a in targets)
    if dry_run or not targets:
        return report
    files: list[Path] = []
    for application in targets:
        for document in list(application.documents):
            with contextlib.suppress(DomainError):  # a bad stored path: the row goes anyway
                files.append(uploads.path_of(document.stored_name))
            db.session.delete(document)
        db.session.execute(
            update(ApplicationMessage)
            .where(ApplicationMessage.application_id == application.id)
            .values(body="—")
        )
        application.first_name = None
        application.last_name = None
        application.birth_date = None
        application.cin = None
        application.phone = None
        application.passport_number = None
        application.passport_expiry = None
        application.motivation = None
        application.eligibility_override_reason = None
        application.decision_override_reason = None
        application.anonymised_at = utcnow()
        record("retention.anonymise", application, {"cohort": application.cohort_id}, actor=None)
    db.session.flush()
    student_ids = {a.student_id for a in targets}
    kept = set(
        db.session.scalars(
            select(Application.student_id).where(
                Application.student_id.in_(student_ids), Application.anonymised_at.is_(None)
            )
        )
    )
    for user in db.session.scalars(select(User).where(User.id.in_(student_ids - kept))):
        if user.role is not Role.student:
            continue
        user.email = f"anonymised-{user.id}@invalid.example"
        user.full_name = "—"
        user.active = False
        user.set_password(secrets.token_urlsafe(32))
        record("retention.account", user, actor=None)
        report.accounts += 1
    db.session.flush()
    # Files go only once the rows are gone (the caller commits right after).
    for path in files:
        path.unlink(missing_ok=True)
        report.files += 1
    return report
