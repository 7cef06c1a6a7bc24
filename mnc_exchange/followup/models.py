"""Follow-up of each intern, anchored on the confirmed placement."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..cohorts.models import Cohort
from ..core.models import (
    PkModel,
    TimestampMixin,
    at_column,
    enum_column,
    enum_type,
    fk_column,
    now_column,
    parent_column,
    user_column,
)
from ..hosts.models import Pole
from ..placements.models import Placement


class InternshipOutcome(enum.StrEnum):
    ongoing = "ongoing"
    completed = "completed"
    ended_early = "ended_early"


class Internship(TimestampMixin, PkModel):
    """One intern's year abroad: created for a confirmed placement."""

    __tablename__ = "internships"

    placement_id: Mapped[int] = fk_column("placements.id", required=True, unique=True)
    cohort_id: Mapped[int] = fk_column("cohorts.id", required=True, index=True)
    visa_type: Mapped[str | None] = mapped_column(String(20))  # short_stay | vls_ts
    departed_on: Mapped[date | None]
    arrived_on: Mapped[date | None]
    outcome: Mapped[InternshipOutcome] = enum_column(
        InternshipOutcome, "internship_outcome", InternshipOutcome.ongoing
    )
    ended_on: Mapped[date | None]  # actual end (early or normal)
    early_end_reason: Mapped[str | None] = mapped_column(Text)
    early_return: Mapped[bool] = mapped_column(nullable=False, default=False)
    returned_on: Mapped[date | None]
    return_confirmed_by_id: Mapped[int | None] = user_column()

    placement: Mapped[Placement] = relationship()
    cohort: Mapped[Cohort] = relationship()
    steps: Mapped[list[MobilityStep]] = relationship(
        back_populates="internship", order_by="MobilityStep.position"
    )


class MobilityStep(PkModel):
    __tablename__ = "mobility_steps"
    __table_args__ = (UniqueConstraint("internship_id", "key", name="uq_mobility_step"),)

    internship_id: Mapped[int] = parent_column("internships.id")
    key: Mapped[str] = mapped_column(String(30), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    due_on: Mapped[date] = mapped_column(nullable=False)
    done_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(String(500))
    updated_by_id: Mapped[int | None] = user_column()

    internship: Mapped[Internship] = relationship(back_populates="steps")


class FollowUpReminder(PkModel):
    """Reminders sent (one per subject and day): mobility steps, check-ins, surveys."""

    __tablename__ = "followup_reminders"
    __table_args__ = (
        UniqueConstraint("subject", "subject_id", "sent_on", name="uq_followup_reminder_day"),
    )

    subject: Mapped[str] = mapped_column(String(30), nullable=False)  # step / checkin / survey
    subject_id: Mapped[int] = mapped_column(nullable=False)
    sent_on: Mapped[date] = mapped_column(nullable=False)


class CheckIn(PkModel):
    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("internship_id", "month", name="uq_checkin_month"),)

    internship_id: Mapped[int] = parent_column("internships.id")
    month: Mapped[date] = mapped_column(nullable=False)  # first day of the month
    wellbeing: Mapped[int] = mapped_column(nullable=False)  # 1..5
    workload: Mapped[int] = mapped_column(nullable=False)  # 1..5
    learned: Mapped[str] = mapped_column(Text, nullable=False, default="")
    problems: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_at: Mapped[datetime] = now_column()

    internship: Mapped[Internship] = relationship()


class EvaluationCriterion(PkModel):
    __tablename__ = "evaluation_criteria"
    __table_args__ = (UniqueConstraint("cohort_id", "key", name="uq_evaluation_criterion"),)

    cohort_id: Mapped[int] = parent_column("cohorts.id")
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)


class EvaluationKind(enum.StrEnum):
    midterm = "midterm"
    final = "final"


class TutorEvaluation(TimestampMixin, PkModel):
    """A tutor's evaluation, answered through an expiring, revocable, single-use link."""

    __tablename__ = "tutor_evaluations"
    __table_args__ = (UniqueConstraint("internship_id", "kind", name="uq_tutor_evaluation"),)

    internship_id: Mapped[int] = parent_column("internships.id")
    kind: Mapped[EvaluationKind] = enum_column(EvaluationKind, "evaluation_kind")
    tutor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    tutor_email: Mapped[str] = mapped_column(String(254), nullable=False)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = at_column()
    expires_at: Mapped[datetime | None] = at_column()
    revoked_at: Mapped[datetime | None] = at_column()
    submitted_at: Mapped[datetime | None] = at_column()
    #: criterion key -> score 1..5
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    overall: Mapped[int | None]  # 1..5
    comment: Mapped[str | None] = mapped_column(Text)

    internship: Mapped[Internship] = relationship()


class IncidentCategory(enum.StrEnum):
    health = "health"
    housing = "housing"
    workplace = "workplace"
    visa = "visa"
    safety = "safety"
    other = "other"


class Severity(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class IncidentStatus(enum.StrEnum):
    open = "open"
    in_progress = "in_progress"
    closed = "closed"


class Incident(TimestampMixin, PkModel):
    __tablename__ = "incidents"

    internship_id: Mapped[int] = parent_column("internships.id")
    reported_by_id: Mapped[int] = user_column(required=True)
    category: Mapped[IncidentCategory] = enum_column(IncidentCategory, "incident_category")
    severity: Mapped[Severity] = enum_column(Severity, "incident_severity")
    status: Mapped[IncidentStatus] = enum_column(
        IncidentStatus, "incident_status", IncidentStatus.open
    )
    occurred_on: Mapped[date] = mapped_column(nullable=False)
    summary: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    closed_at: Mapped[datetime | None] = at_column()
    resolution: Mapped[str | None] = mapped_column(Text)

    internship: Mapped[Internship] = relationship()
    reported_by: Mapped[User] = relationship()
    comments: Mapped[list[IncidentComment]] = relationship(
        back_populates="incident", order_by="IncidentComment.id"
    )


class IncidentComment(PkModel):
    __tablename__ = "incident_comments"

    incident_id: Mapped[int] = parent_column("incidents.id")
    author_id: Mapped[int] = user_column(required=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = now_column()

    incident: Mapped[Incident] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class Situation(enum.StrEnum):
    employed_morocco = "employed_morocco"
    employed_abroad = "employed_abroad"
    studying = "studying"
    seeking = "seeking"
    other = "other"


class ContractType(enum.StrEnum):
    permanent = "permanent"  # CDI
    fixed_term = "fixed_term"  # CDD
    freelance = "freelance"
    internship = "internship"
    other = "other"


class SalaryBand(enum.StrEnum):
    """Monthly net salary in dirhams."""

    below_6000 = "below_6000"
    from_6000 = "6000_9999"
    from_10000 = "10000_14999"
    from_15000 = "15000_24999"
    from_25000 = "25000_plus"


class SurveyStatus(enum.StrEnum):
    pending = "pending"
    answered = "answered"
    unreachable = "unreachable"


#: Survey waves, in months after the internship's end.
SURVEY_WAVES = (3, 6, 12)


class EmploymentSurvey(TimestampMixin, PkModel):
    """One answer about the alumnus's situation: a scheduled wave (3, 6, 12 months) or a
    spontaneous update (wave 0)."""

    __tablename__ = "employment_surveys"

    internship_id: Mapped[int] = parent_column("internships.id")
    wave: Mapped[int] = mapped_column(nullable=False)  # 3, 6, 12, or 0 for an update
    due_on: Mapped[date] = mapped_column(nullable=False)
    status: Mapped[SurveyStatus] = enum_column(SurveyStatus, "survey_status", SurveyStatus.pending)
    answered_at: Mapped[datetime | None] = at_column()
    recorded_by_id: Mapped[int | None] = user_column()
    by_phone: Mapped[bool] = mapped_column(nullable=False, default=False)
    situation: Mapped[Situation | None] = mapped_column(enum_type(Situation, "situation"))
    employer: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    sector: Mapped[str | None] = mapped_column(String(120))
    pole: Mapped[Pole | None] = mapped_column(enum_type(Pole, "pole"))
    employer_mnc_member: Mapped[bool | None]
    job_title: Mapped[str | None] = mapped_column(String(200))
    contract_type: Mapped[ContractType | None] = mapped_column(
        enum_type(ContractType, "contract_type")
    )
    salary_band: Mapped[SalaryBand | None] = mapped_column(enum_type(SalaryBand, "salary_band"))
    comment: Mapped[str | None] = mapped_column(Text)

    internship: Mapped[Internship] = relationship()
